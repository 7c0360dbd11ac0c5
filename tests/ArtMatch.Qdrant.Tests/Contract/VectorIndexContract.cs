using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage;

namespace ArtMatch.Qdrant.Tests.Contract;

/// <summary>
/// What every vector index must do, as cases run against each backend (ContractTests): add, search
/// with and without each filter, one hit per object, delete object and image, idempotent re-add,
/// record changes, model isolation, restart persistence, concurrent writers.
/// </summary>
public static class VectorIndexContract
{
    private const int Dim = 32;
    private const string Model = "contract-model";

    private static readonly Dictionary<string, Action<IndexBackend>> All = new()
    {
        [nameof(Upsert_ThenSearch_FindsEachObjectByItsRows)] = Upsert_ThenSearch_FindsEachObjectByItsRows,
        [nameof(Search_EachFilter_OnlyMatchingObjects)] = Search_EachFilter_OnlyMatchingObjects,
        [nameof(Search_ObjectWithManyCloseRows_CountsOnceInTopK)] = Search_ObjectWithManyCloseRows_CountsOnceInTopK,
        [nameof(DeleteObject_AllItsRowsGone)] = DeleteObject_AllItsRowsGone,
        [nameof(DeleteImage_OtherImageStays)] = DeleteImage_OtherImageStays,
        [nameof(Upsert_ChangedRecord_FiltersFollow)] = Upsert_ChangedRecord_FiltersFollow,
        [nameof(ScoreObjects_NamedObjectsOnly)] = ScoreObjects_NamedObjectsOnly,
        [nameof(StoreUpsert_SameImagesAgain_NoDuplicateRows)] = StoreUpsert_SameImagesAgain_NoDuplicateRows,
        [nameof(Stores_TwoModels_DoNotSeeEachOther)] = Stores_TwoModels_DoNotSeeEachOther,
        [nameof(Store_Reopened_FindsWhatWasWritten)] = Store_Reopened_FindsWhatWasWritten,
        [nameof(Store_ConcurrentWriters_EveryObjectStored)] = Store_ConcurrentWriters_EveryObjectStored,
    };

    public static TheoryData<string> Cases => new(All.Keys);

    public static void Run(string name, IndexBackend backend) => All[name](backend);

    private static float[] Unit(Random random)
    {
        var v = new float[Dim];
        for (int i = 0; i < Dim; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        Pooling.L2Normalize(v);
        return v;
    }

    /// <summary>A vector close to <paramref name="v"/> (cosine about 0.99).</summary>
    private static float[] Near(float[] v, Random random, float noise = 0.05f)
    {
        var n = v.Select(x => x + noise * (float)(random.NextDouble() * 2 - 1)).ToArray();
        Pooling.L2Normalize(n);
        return n;
    }

    private static IndexedImage Image(Random random, string id, int rows = 3) => new(id, Enumerable.Range(0, rows).Select(_ => Unit(random)).ToList());

    private static IndexedObject Record(string id, string? registry = "INTERPOL", string? type = "coin", ObjectStatus status = ObjectStatus.Stolen, string? country = "FR") =>
        new(id, registry, type, status, country);

    private static void Upsert_ThenSearch_FindsEachObjectByItsRows(IndexBackend backend)
    {
        var random = new Random(1);
        using var index = backend.OpenIndex(Model, Dim);
        var images = Enumerable.Range(0, 5).Select(i => Image(random, $"img{i}")).ToList();
        for (int i = 0; i < 5; i++)
            index.Upsert(Record($"obj{i}"), [images[i]]);

        Assert.Equal(15, index.RowCount);
        var hits = index.SearchMany([Near(images[3].Vectors[2], random), images[1].Vectors[0]], 3, SearchFilter.None);
        Assert.Equal(("obj3", "img3", 2), (hits[0][0].ObjectId, hits[0][0].ImageId, hits[0][0].Region));
        Assert.Equal(("obj1", "img1", 0), (hits[1][0].ObjectId, hits[1][0].ImageId, hits[1][0].Region));
        Assert.Equal(1f, hits[1][0].Score, 3);
        Assert.All(hits, h => Assert.Equal(3, h.Count));
        Assert.All(hits, h => Assert.True(h[0].Score >= h[1].Score && h[1].Score >= h[2].Score));
        Assert.True(index.Contains("obj3", "img3"));
        Assert.False(index.Contains("obj3", "img1"));
    }

    private static void Search_EachFilter_OnlyMatchingObjects(IndexBackend backend)
    {
        var random = new Random(2);
        using var index = backend.OpenIndex(Model, Dim);
        var query = Unit(random);
        // Every object's rows are close to the query, so only the filter decides who is found.
        IndexedImage Close(string id) => new(id, [Near(query, random), Near(query, random)]);
        index.Upsert(Record("a", "INTERPOL", "coin", ObjectStatus.Stolen, "FR"), [Close("ia")]);
        index.Upsert(Record("b", "ICOM", "painting", ObjectStatus.Missing, "IQ"), [Close("ib")]);
        index.Upsert(Record("c", "Carabinieri", "coin", ObjectStatus.RedListExemplar, "IT"), [Close("ic")]);
        index.Upsert(Record("d", null, null, ObjectStatus.Stolen, null), [Close("id")]);

        string[] Found(SearchFilter filter) => index.SearchMany([query], 10, filter)[0].Select(h => h.ObjectId).Order().ToArray();

        Assert.Equal(["a", "b", "c", "d"], Found(SearchFilter.None));
        Assert.Equal(["a", "c"], Found(new SearchFilter { Registries = ["interpol", "CARABINIERI"] }));
        Assert.Equal(["a", "c"], Found(new SearchFilter { ObjectTypes = ["Coin"] }));
        Assert.Equal(["a", "d"], Found(new SearchFilter { Statuses = [ObjectStatus.Stolen] }));
        Assert.Equal(["b"], Found(new SearchFilter { Countries = ["iq"] }));
        Assert.Equal(["c"], Found(new SearchFilter { ObjectTypes = ["coin"], Countries = ["IT", "IQ"] }));
        Assert.Empty(Found(new SearchFilter { Registries = [] }));
        Assert.Empty(Found(new SearchFilter { Countries = ["DE"] }));
        Assert.Null(index.AllowedObjectIds(SearchFilter.None));
        Assert.Equal(["a", "d"], index.AllowedObjectIds(new SearchFilter { Statuses = [ObjectStatus.Stolen] })!.Order().ToArray());

        // Whole pictures only: a query equal to a region row finds its object by the whole row instead.
        var image = Image(random, "ie", rows: 4);
        index.Upsert(Record("e"), [image]);
        var region = index.SearchMany([image.Vectors[2]], 1, SearchFilter.None)[0][0];
        var whole = index.SearchMany([image.Vectors[2]], 10, new SearchFilter { WholeImagesOnly = true })[0].Single(h => h.ObjectId == "e");
        Assert.Equal(("e", 2), (region.ObjectId, region.Region));
        Assert.Equal(0, whole.Region);
        Assert.True(whole.Score < region.Score);
    }

    private static void Search_ObjectWithManyCloseRows_CountsOnceInTopK(IndexBackend backend)
    {
        var random = new Random(3);
        using var index = backend.OpenIndex(Model, Dim);
        var query = Unit(random);
        // "many" has 12 rows nearer the query than anything else; the top 3 must still be 3 objects.
        index.Upsert(Record("many"), Enumerable.Range(0, 4).Select(i => new IndexedImage($"m{i}", [Near(query, random, 0.01f), Near(query, random, 0.01f), Near(query, random, 0.01f)])).ToList());
        index.Upsert(Record("second"), [new IndexedImage("s", [Near(query, random, 0.3f)])]);
        index.Upsert(Record("third"), [new IndexedImage("t", [Near(query, random, 0.6f)])]);
        index.Upsert(Record("far"), [Image(random, "f")]);

        var hits = index.SearchMany([query], 3, SearchFilter.None)[0];
        Assert.Equal(["many", "second", "third"], hits.Select(h => h.ObjectId).ToArray());
    }

    private static void DeleteObject_AllItsRowsGone(IndexBackend backend)
    {
        var random = new Random(4);
        using var index = backend.OpenIndex(Model, Dim);
        var (a, b) = (Image(random, "a1"), Image(random, "b1"));
        index.Upsert(Record("A"), [a, Image(random, "a2")]);
        index.Upsert(Record("B"), [b]);

        Assert.True(index.DeleteObject("A"));
        Assert.False(index.DeleteObject("A"));

        Assert.Equal(3, index.RowCount);
        Assert.All(index.SearchMany([a.Vectors[0], a.Vectors[1]], 5, SearchFilter.None), hits => Assert.Equal(["B"], hits.Select(h => h.ObjectId)));
        Assert.False(index.Contains("A", "a1"));
    }

    private static void DeleteImage_OtherImageStays(IndexBackend backend)
    {
        var random = new Random(5);
        using var index = backend.OpenIndex(Model, Dim);
        var (kept, dropped) = (Image(random, "kept"), Image(random, "dropped"));
        index.Upsert(Record("A"), [kept, dropped]);

        Assert.True(index.DeleteImage("A", "dropped"));
        Assert.False(index.DeleteImage("A", "dropped"));

        Assert.Equal(3, index.RowCount);
        var hit = index.SearchMany([dropped.Vectors[1]], 5, SearchFilter.None)[0].Single();
        Assert.Equal(("A", "kept"), (hit.ObjectId, hit.ImageId));
        Assert.True(index.Contains("A", "kept"));
        Assert.False(index.Contains("A", "dropped"));
    }

    private static void Upsert_ChangedRecord_FiltersFollow(IndexBackend backend)
    {
        var random = new Random(6);
        using var index = backend.OpenIndex(Model, Dim);
        var image = Image(random, "a");
        index.Upsert(Record("A", "INTERPOL", "coin", ObjectStatus.Stolen, "FR"), [image]);
        var recovered = new SearchFilter { Statuses = [ObjectStatus.Recovered] };
        Assert.Empty(index.SearchMany([image.Vectors[0]], 5, recovered)[0]);

        // The record changes (recovered, country dropped) with one more image: old and new rows follow.
        var added = Image(random, "b");
        index.Upsert(Record("A", "INTERPOL", "coin", ObjectStatus.Recovered, null), [added]);

        Assert.Equal(["a", "b"], index.SearchMany([image.Vectors[0], added.Vectors[0]], 5, recovered).Select(h => h.Single().ImageId).ToArray());
        Assert.Empty(index.SearchMany([image.Vectors[0]], 5, new SearchFilter { Countries = ["FR"] })[0]);
        Assert.Empty(index.SearchMany([image.Vectors[0]], 5, new SearchFilter { Statuses = [ObjectStatus.Stolen] })[0]);
    }

    private static void ScoreObjects_NamedObjectsOnly(IndexBackend backend)
    {
        var random = new Random(7);
        using var index = backend.OpenIndex(Model, Dim);
        var images = Enumerable.Range(0, 4).Select(i => Image(random, $"i{i}")).ToList();
        for (int i = 0; i < 4; i++)
            index.Upsert(Record($"o{i}"), [images[i]]);

        var scored = index.ScoreObjects(images[2].Vectors[1], ["o2", "o3", "unknown"]);
        Assert.Equal(["o2", "o3"], scored.Select(h => h.ObjectId).Order().ToArray());
        var o2 = scored.Single(h => h.ObjectId == "o2");
        Assert.Equal(("i2", 1), (o2.ImageId, o2.Region));
        Assert.Equal(1f, o2.Score, 3);
        Assert.Empty(index.ScoreObjects(images[0].Vectors[0], []));
    }

    private static Core.Catalog.NewImage NewImage(Random random, string label, int rows = 2)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return new Core.Catalog.NewImage(bytes, label, 100, 80, Enumerable.Range(0, rows).Select(_ => Unit(random)).ToList());
    }

    private static CulturalObject Object(string id, string registry = "INTERPOL") => new() { ObjectId = id, Title = id, Registry = registry, Status = ObjectStatus.Stolen };

    private static void StoreUpsert_SameImagesAgain_NoDuplicateRows(IndexBackend backend)
    {
        using var folder = new TempFolder();
        var random = new Random(8);
        var images = new[] { NewImage(random, "x"), NewImage(random, "y") };
        using var store = SqliteCatalogStore.Open(folder.Path, Model, Dim, backend.StoreIndex);
        var first = store.Upsert(Object("X"), images);
        var again = store.Upsert(Object("X"), images);

        Assert.Equal((2, 0), (first.ImagesAdded, first.ImagesAlreadyPresent));
        Assert.Equal((0, 2), (again.ImagesAdded, again.ImagesAlreadyPresent));
        Assert.Equal(4, store.VectorCount);
        Assert.True(store.ContainsImage("X", images[1].ImageId));
    }

    private static void Stores_TwoModels_DoNotSeeEachOther(IndexBackend backend)
    {
        using var one = new TempFolder();
        using var two = new TempFolder();
        var random = new Random(9);
        var image = NewImage(random, "shared");
        using var modelA = SqliteCatalogStore.Open(one.Path, "model-a", Dim, backend.StoreIndex);
        using var modelB = SqliteCatalogStore.Open(two.Path, "model-b", Dim, backend.StoreIndex);
        modelA.Upsert(Object("A"), [image]);

        Assert.Equal(2, modelA.VectorCount);
        Assert.Equal(0, modelB.VectorCount);
        Assert.Empty(modelB.SearchMany([image.Vectors[0]], 5, SearchFilter.None)[0]);
        Assert.Equal("A", modelA.SearchMany([image.Vectors[0]], 5, SearchFilter.None)[0].Single().ObjectId);
    }

    private static void Store_Reopened_FindsWhatWasWritten(IndexBackend backend)
    {
        using var folder = new TempFolder();
        var random = new Random(10);
        var (kept, deleted) = (NewImage(random, "k"), NewImage(random, "d"));
        using (var store = SqliteCatalogStore.Open(folder.Path, Model, Dim, backend.StoreIndex))
        {
            store.Upsert(Object("K", "ICOM"), [kept]);
            store.Upsert(Object("D"), [deleted]);
            store.Delete("D");
        }

        using var reopened = SqliteCatalogStore.Open(folder.Path, Model, Dim, backend.StoreIndex);
        Assert.Equal(2, reopened.VectorCount);
        var hit = reopened.SearchMany([kept.Vectors[1]], 5, new SearchFilter { Registries = ["icom"] })[0].Single();
        Assert.Equal(("K", kept.ImageId, 1), (hit.ObjectId, hit.ImageId, hit.Region));
        Assert.Equal(["K"], reopened.SearchMany([deleted.Vectors[0]], 5, SearchFilter.None)[0].Select(h => h.ObjectId));
    }

    private static void Store_ConcurrentWriters_EveryObjectStored(IndexBackend backend)
    {
        using var folder = new TempFolder();
        using var store = SqliteCatalogStore.Open(folder.Path, Model, Dim, backend.StoreIndex);
        var images = Enumerable.Range(0, 24).Select(i => NewImage(new Random(100 + i), $"c{i}")).ToArray();
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i => store.Upsert(Object($"C{i}"), [images[i]]));

        Assert.Equal(24, store.ObjectCount);
        Assert.Equal(48, store.VectorCount);
        var found = store.SearchMany(images.Select(i => i.Vectors[0]).ToList(), 1, SearchFilter.None);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => $"C{i}"), found.Select(h => h[0].ObjectId));
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("artmatch-contract-").FullName;

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path, recursive: true);
        }
    }
}
