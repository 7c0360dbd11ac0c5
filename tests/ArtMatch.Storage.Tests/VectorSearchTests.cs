using ArtMatch.Core.Catalog;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

public class VectorSearchTests
{
    /// <summary>300 objects with 1-3 images of 5 vectors each: 3000 rows of 1280 dimensions.</summary>
    private static List<ReferenceRow> Fill(SqliteCatalogStore store, Random random, int objects = 300)
    {
        var rows = new List<ReferenceRow>();
        for (int o = 0; o < objects; o++)
        {
            string id = $"obj-{o:D3}";
            var images = Enumerable.Range(0, 1 + o % 3).Select(i => TempStore.Image(random, $"{o}-{i}", vectors: 5)).ToList();
            var record = TempStore.Record(id, registry: o % 2 == 0 ? "INTERPOL" : "ICOM", status: (ObjectStatus)(o % 5),
                type: o % 3 == 0 ? "coin" : "painting", country: o % 4 == 0 ? "IQ" : "FR");
            store.Upsert(record, images);
            rows.AddRange(NaiveSearch.Rows(id, images));
        }
        return rows;
    }

    private static int Ordinal(string objectId) => int.Parse(objectId.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Search_RandomUnitVectors_EqualsNaiveReference()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(20);
        var rows = Fill(store, random);
        Assert.Equal(3000, store.VectorCount);

        for (int q = 0; q < 10; q++)
        {
            var query = TempStore.UnitVector(random);
            NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 10), store.Search(query, 10, SearchFilter.None));
        }
    }

    [Fact]
    public void Search_QueryIsAStoredVector_FindsItsObjectImageAndRegionFirst()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(21);
        var rows = Fill(store, random, objects: 50);
        var target = rows[137];

        var top = store.Search(target.Vector, 3, SearchFilter.None)[0];

        Assert.Equal((target.ObjectId, target.ImageId, target.Region), (top.ObjectId, top.ImageId, top.Region));
        Assert.Equal(1f, top.Score, 1e-5f);
    }

    [Fact]
    public void Search_KLargerThanObjectCount_ReturnsEveryObjectOnce()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(22);
        var rows = Fill(store, random, objects: 7);
        var query = TempStore.UnitVector(random);

        var hits = store.Search(query, 100, SearchFilter.None);

        Assert.Equal(7, hits.Select(h => h.ObjectId).Distinct().Count());
        NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 100), hits);
    }

    [Fact]
    public void Search_LargeK_EqualsReferenceInFullOrder()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 24);
        var random = new Random(38);
        var rows = new List<ReferenceRow>();
        for (int o = 0; o < 400; o++)
        {
            var images = new[] { TempStore.Image(random, "x", vectors: 2, dim: 24) };
            store.Upsert(TempStore.Record($"obj-{o:D3}"), images);
            rows.AddRange(NaiveSearch.Rows($"obj-{o:D3}", images));
        }
        var query = TempStore.UnitVector(random, 24);

        NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 250), store.Search(query, 250, SearchFilter.None));
        NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 400), store.Search(query, int.MaxValue, SearchFilter.None));
    }

    [Fact]
    public void Search_EachFilter_EqualsReferenceRestrictedTheSameWay()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(23);
        var rows = Fill(store, random);
        var query = TempStore.UnitVector(random);

        (SearchFilter Filter, Func<int, bool> Keeps)[] cases =
        [
            (new SearchFilter { Registries = ["ICOM"] }, o => o % 2 == 1),
            (new SearchFilter { Registries = ["interpol"] }, o => o % 2 == 0),
            (new SearchFilter { Statuses = [ObjectStatus.Stolen, ObjectStatus.Recovered] }, o => o % 5 is 1 or 3),
            (new SearchFilter { ObjectTypes = ["coin"] }, o => o % 3 == 0),
            (new SearchFilter { Countries = ["IQ"] }, o => o % 4 == 0),
            (new SearchFilter { Registries = ["INTERPOL"], Countries = ["FR"], ObjectTypes = ["painting"] }, o => o % 2 == 0 && o % 4 != 0 && o % 3 != 0),
        ];
        foreach (var (filter, keeps) in cases)
        {
            var expected = NaiveSearch.TopK(rows, query, 20, r => keeps(Ordinal(r.ObjectId)));
            var actual = store.Search(query, 20, filter);
            NaiveSearch.AssertSame(expected, actual);
            Assert.All(actual, h => Assert.True(keeps(Ordinal(h.ObjectId)), $"{h.ObjectId} should have been filtered out"));
        }
    }

    [Fact]
    public void Search_FilterValueNobodyHas_FindsNothing()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(24);
        Fill(store, random, objects: 20);
        var query = TempStore.UnitVector(random);

        Assert.Empty(store.Search(query, 10, new SearchFilter { Registries = ["nobody"] }));
        Assert.Empty(store.Search(query, 10, new SearchFilter { Countries = [] }));
        Assert.Empty(store.Search(query, 10, new SearchFilter { Statuses = [ObjectStatus.RedListExemplar], ObjectTypes = ["statue"] }));
    }

    [Fact]
    public void Search_WholeImagesOnly_UsesRegionZeroRowsOnly()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(25);
        var rows = Fill(store, random, objects: 100);
        var query = TempStore.UnitVector(random);

        var actual = store.Search(query, 10, new SearchFilter { WholeImagesOnly = true });

        NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 10, r => r.Region == 0), actual);
        Assert.All(actual, h => Assert.Equal(0, h.Region));
    }

    [Fact]
    public void SearchMany_EqualsSearchPerQuery_WithAndWithoutFilters()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(29);
        Fill(store, random);
        var queries = Enumerable.Range(0, 8).Select(_ => TempStore.UnitVector(random)).ToList();

        foreach (var filter in new[] { SearchFilter.None, new SearchFilter { WholeImagesOnly = true }, new SearchFilter { Registries = ["ICOM"], WholeImagesOnly = true } })
        {
            var many = store.SearchMany(queries, 15, filter);

            Assert.Equal(queries.Count, many.Count);
            for (int q = 0; q < queries.Count; q++)
                Assert.Equal(store.Search(queries[q], 15, filter), many[q]);
        }
        Assert.Empty(store.SearchMany([], 5, SearchFilter.None));
        Assert.Throws<ArgumentException>(() => store.SearchMany([new float[3]], 5, SearchFilter.None));
    }

    [Fact]
    public void Search_AfterReopen_ReturnsTheSameHits()
    {
        using var temp = new TempStore();
        var random = new Random(26);
        var queries = Enumerable.Range(0, 5).Select(_ => TempStore.UnitVector(random)).ToList();
        List<IReadOnlyList<VectorHit>> before;
        using (var store = temp.Open())
        {
            Fill(store, random, objects: 120);
            store.Delete("obj-007");
            before = queries.Select(q => store.Search(q, 15, SearchFilter.None)).ToList();
        }

        using var reopened = temp.Open();
        var after = queries.Select(q => reopened.Search(q, 15, SearchFilter.None)).ToList();

        Assert.Equal(before, after);
    }

    [Fact]
    public void Search_ManyDeletesCompactTheIndex_EqualsReferenceOnTheRest()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 48);
        var random = new Random(27);
        var rows = new List<ReferenceRow>();
        for (int o = 0; o < 200; o++)
        {
            var images = new[] { TempStore.Image(random, "x", vectors: 3, dim: 48) };
            store.Upsert(TempStore.Record($"obj-{o:D3}"), images);
            rows.AddRange(NaiveSearch.Rows($"obj-{o:D3}", images));
        }

        for (int o = 0; o < 200; o += 3)
            Assert.True(store.Delete($"obj-{o:D3}"));

        var alive = rows.Where(r => Ordinal(r.ObjectId) % 3 != 0).ToList();
        Assert.Equal(alive.Count, store.VectorCount);
        for (int q = 0; q < 5; q++)
        {
            var query = TempStore.UnitVector(random, 48);
            NaiveSearch.AssertSame(NaiveSearch.TopK(alive, query, 25), store.Search(query, 25, SearchFilter.None));
            NaiveSearch.AssertSame(NaiveSearch.TopK(alive, query, 25, r => r.Region == 0), store.Search(query, 25, new SearchFilter { WholeImagesOnly = true }));
        }
    }

    [Fact]
    public void Search_QueryOfWrongDimension_ThrowsArgumentException()
    {
        using var temp = new TempStore();
        using var store = temp.Open();

        var error = Assert.Throws<ArgumentException>(() => store.Search(new float[12], 5, SearchFilter.None));

        Assert.Contains("1280", error.Message);
    }

    [Fact]
    public void Search_EmptyStoreOrZeroK_ReturnsNothing()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var query = TempStore.UnitVector(new Random(28));

        Assert.Empty(store.Search(query, 10, SearchFilter.None));
        store.Upsert(TempStore.Record("A"), [TempStore.Image(new Random(29), "a")]);
        Assert.Empty(store.Search(query, 0, SearchFilter.None));
    }

    [Fact]
    public void IndexSearch_OneAndTwoThreadsOverParallelThreshold_EqualReference()
    {
        const int Dim = 64;
        var random = new Random(30);
        var index = new VectorIndex(Dim);
        var rows = new List<ReferenceRow>();
        for (int row = 0; row < index.ParallelThreshold + 1001; row++)
        {
            // Several rows per object, and objects' rows spread over both halves of the matrix.
            string id = $"o{row % 3001}";
            if (row < 3001)
                index.SetObject(new CulturalObject { ObjectId = id, Registry = row % 2 == 0 ? "A" : "B" });
            var vector = TempStore.UnitVector(random, Dim);
            index.Add(id, $"i{row}", row % 4, vector);
            rows.Add(new ReferenceRow(id, $"i{row}", row % 4, vector));
        }
        var query = TempStore.UnitVector(random, Dim);

        var expected = NaiveSearch.TopK(rows, query, 30);
        var one = index.Search(query, 30, SearchFilter.None, maxThreads: 1);
        var two = index.Search(query, 30, SearchFilter.None, maxThreads: 2);
        var filtered = index.Search(query, 30, new SearchFilter { Registries = ["B"] }, maxThreads: 2);

        NaiveSearch.AssertSame(expected, one);
        Assert.Equal(one, two);
        NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 30, r => int.Parse(r.ObjectId.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) % 2 == 1), filtered);
    }

    [Fact]
    public void Open_OtherModel_NeverReturnsTheFirstModelsVectors()
    {
        using var temp = new TempStore();
        var random = new Random(31);
        var imageA = TempStore.Image(random, "a");
        var imageB = TempStore.Image(random, "b");
        using (var store = temp.Open(model: "model-a"))
            store.Upsert(TempStore.Record("M"), [imageA]);

        using (var other = temp.Open(model: "model-b"))
        {
            Assert.Equal(0, other.VectorCount);
            Assert.Empty(other.Search(imageA.Vectors[0], 5, SearchFilter.None));
            Assert.False(other.ContainsImage("M", imageA.ImageId));
            Assert.NotNull(other.Get("M"));
            other.AddImages("M", [imageB]);
        }

        using var reopenedA = temp.Open(model: "model-a");
        var hit = Assert.Single(reopenedA.Search(imageB.Vectors[0], 5, SearchFilter.None));
        Assert.Equal(imageA.ImageId, hit.ImageId);
        Assert.Equal(1, reopenedA.VectorCount);
    }

    [Fact]
    public void Open_SameModelOtherDimension_ThrowsWithAdvice()
    {
        using var temp = new TempStore();
        using (var store = temp.Open())
            store.Upsert(TempStore.Record("M"), [TempStore.Image(new Random(32), "a")]);

        var error = Assert.Throws<InvalidDataException>(() => temp.Open(dim: 512));

        Assert.Contains("re-embed", error.Message);
    }

    [Fact]
    public void ReplaceEmbeddings_SwitchesModelAndDimension()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(33);
        var image = TempStore.Image(random, "a");
        store.Upsert(TempStore.Record("R"), [image]);
        var replacement = TempStore.UnitVector(random, 16);

        store.ReplaceEmbeddings("model-2", 16, store.EnumerateImages().Select(i => (i.ImageId, (IReadOnlyList<float[]>)[replacement])).ToList());

        Assert.Equal(("model-2", 16, 1), (store.ModelId, store.Dimension, store.VectorCount));
        Assert.Equal("R", Assert.Single(store.Search(replacement, 1, SearchFilter.None)).ObjectId);
        Assert.True(store.ContainsImage("R", image.ImageId));
        using var reopened = SqliteCatalogStore.Open(temp.Directory, "model-2", 16);
        Assert.Equal(1, reopened.VectorCount);
    }

    [Fact]
    public async Task Search_WhileWritersAddAndDelete_SeesOnlyWholeObjects()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 32);
        var random = new Random(34);
        var query = TempStore.UnitVector(random, 32);
        // Every object has 4 one-vector images, so a reader that never sees half an object always counts a multiple of 4.
        var writer = Task.Run(() =>
        {
            var local = new Random(35);
            for (int o = 0; o < 150; o++)
            {
                store.Upsert(TempStore.Record($"w{o}"), Enumerable.Range(0, 4).Select(i => TempStore.Image(local, $"{i}", dim: 32)).ToList());
                if (o % 5 == 0)
                    store.Delete($"w{o / 2}");
            }
        });
        int searches = 0;
        while (!writer.IsCompleted || searches == 0)
        {
            Assert.Equal(0, store.VectorCount % 4);
            var hits = store.Search(query, 10, SearchFilter.None);
            Assert.Equal(hits.Count, hits.Select(h => h.ObjectId).Distinct().Count());
            searches++;
        }
        await writer;
        Assert.Equal(store.ObjectCount * 4, store.VectorCount);
    }

    [Fact]
    public void Dot4_AnyDimension_MatchesTensorPrimitivesPerRow()
    {
        var random = new Random(36);
        foreach (int dim in new[] { 1, 7, 8, 15, 16, 17, 33, 100, 1280 })
        {
            var query = TempStore.UnitVector(random, dim);
            var rows = Enumerable.Range(0, 4).SelectMany(_ => TempStore.UnitVector(random, dim)).ToArray();

            DotKernels.Dot4(query, ref rows[0], out float s0, out float s1, out float s2, out float s3);

            float[] actual = [s0, s1, s2, s3];
            for (int r = 0; r < 4; r++)
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(query, rows.AsSpan(r * dim, dim)), actual[r], 1e-5f);
        }
    }
}
