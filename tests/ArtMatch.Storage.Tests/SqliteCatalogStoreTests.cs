using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Tests;

public class SqliteCatalogStoreTests
{
    [Fact]
    public void Upsert_EveryField_RoundTripsThroughReopen()
    {
        using var temp = new TempStore();
        var record = new CulturalObject
        {
            ObjectId = "INT-2024-001",
            ObjectType = "sculpture", ObjectSubtype = "bust", MaterialsAndTechniques = "marble, carved",
            Measurements = "42 x 30 x 25 cm", InscriptionsAndMarkings = "AVGVSTVS on the base", DistinguishingFeatures = "chipped nose",
            Title = "Bust of Augustus", Subject = "emperor", DateOrPeriod = "1st century AD", Maker = "unknown Roman workshop",
            Description = "Life-size portrait bust", InventoryNumber = "MNR-1234", PlaceOfOrigin = "Rome",
            Registry = "INTERPOL", Status = ObjectStatus.Missing, Country = "IT", DateReported = new DateOnly(2024, 3, 1),
            Extra = new Dictionary<string, string> { ["case"] = "A-17", ["url"] = "https://example.org/a17" },
        };
        using (var store = temp.Open())
            store.Upsert(record, [TempStore.Image(new Random(1), "front.jpg")]);

        using var reopened = temp.Open();
        var loaded = reopened.Get(record.ObjectId)!;

        Assert.Equal(record with { Extra = loaded.Extra }, loaded);
        Assert.Equal(record.Extra, loaded.Extra);
        var image = Assert.Single(reopened.GetImages(record.ObjectId));
        Assert.Equal(("front.jpg", 640, 480), (image.Label, image.Width, image.Height));
    }

    [Fact]
    public void Upsert_SameImagesTwice_AddsNothingTheSecondTime()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(2);
        var images = new[] { TempStore.Image(random, "a"), TempStore.Image(random, "b", vectors: 3) };

        var first = store.Upsert(TempStore.Record("X"), images);
        var second = store.Upsert(TempStore.Record("X") with { Title = "new title" }, images);

        Assert.Equal((true, 2, 0), (first.Created, first.ImagesAdded, first.ImagesAlreadyPresent));
        Assert.Equal((false, 0, 2), (second.Created, second.ImagesAdded, second.ImagesAlreadyPresent));
        Assert.Equal(4, store.VectorCount);
        Assert.Equal("new title", store.Get("X")!.Title);
    }

    [Fact]
    public void AddImages_UnknownObject_ThrowsKeyNotFound()
    {
        using var temp = new TempStore();
        using var store = temp.Open();

        Assert.Throws<KeyNotFoundException>(() => store.AddImages("nope", [TempStore.Image(new Random(3), "a")]));
        Assert.Equal(0, store.VectorCount);
    }

    [Fact]
    public void Upsert_VectorOfWrongDimension_WritesNothing()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(4);
        var good = TempStore.Image(random, "good");
        var bad = TempStore.Image(random, "bad", dim: 10);

        Assert.Throws<ArgumentException>(() => store.Upsert(TempStore.Record("Y"), [good, bad]));

        Assert.Null(store.Get("Y"));
        Assert.Equal(0, store.VectorCount);
        Assert.Empty(store.SearchText("Y", SearchFilter.None, 10));
    }

    [Fact]
    public void Upsert_FailingMidTransaction_LeavesNoHalfObject()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(5);
        // The second image is broken (a null vector): the whole object must be refused, the good image too.
        var broken = new NewImage([1, 2, 3], "broken", 10, 10, [TempStore.UnitVector(random), null!]);

        Assert.ThrowsAny<Exception>(() => store.Upsert(TempStore.Record("Z"), [TempStore.Image(random, "ok"), broken]));

        Assert.Null(store.Get("Z"));
        Assert.Empty(store.GetImages("Z"));
        Assert.Equal(0, store.VectorCount);
        using var reopened = new TempStoreView(temp.Directory);
        Assert.Equal(0, reopened.Count("objects") + reopened.Count("images") + reopened.Count("vectors"));
    }

    [Fact]
    public void Delete_RemovesRecordImagesVectorsTextAndHits()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(6);
        var image = TempStore.Image(random, "a");
        store.Upsert(TempStore.Record("D") with { Maker = "Vermeer" }, [image]);
        store.Upsert(TempStore.Record("E"), [TempStore.Image(random, "b")]);

        Assert.True(store.Delete("D"));

        Assert.False(store.Delete("D"));
        Assert.Null(store.Get("D"));
        Assert.Empty(store.GetImages("D"));
        Assert.Null(store.GetImageBytes(image.ImageId));
        Assert.Empty(store.SearchText("Vermeer", SearchFilter.None, 10));
        Assert.DoesNotContain(store.Search(image.Vectors[0], 10, SearchFilter.None), h => h.ObjectId == "D");
        Assert.Equal(1, store.VectorCount);
    }

    [Fact]
    public void Search_Filters_ExcludeWhatTheyShould()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(7);
        var query = TempStore.UnitVector(random);
        store.Upsert(TempStore.Record("A", registry: "INTERPOL", status: ObjectStatus.Stolen, type: "painting", country: "FR"), [ImageNear(query, random)]);
        store.Upsert(TempStore.Record("B", registry: "ICOM", status: ObjectStatus.RedListExemplar, type: "coin", country: "IQ"), [ImageNear(query, random)]);
        store.Upsert(TempStore.Record("C", registry: "INTERPOL", status: ObjectStatus.Recovered, type: "coin", country: "IT"), [ImageNear(query, random)]);

        string[] Ids(SearchFilter filter) => store.Search(query, 10, filter).Select(h => h.ObjectId).Order().ToArray();

        Assert.Equal(["A", "B", "C"], Ids(SearchFilter.None));
        Assert.Equal(["A", "C"], Ids(new SearchFilter { Registries = ["INTERPOL"] }));
        Assert.Equal(["A"], Ids(new SearchFilter { Statuses = [ObjectStatus.Stolen] }));
        Assert.Equal(["B", "C"], Ids(new SearchFilter { ObjectTypes = ["coin"] }));
        Assert.Equal(["B"], Ids(new SearchFilter { Countries = ["IQ"] }));
        Assert.Equal(["C"], Ids(new SearchFilter { Registries = ["INTERPOL"], ObjectTypes = ["coin"] }));
        Assert.Empty(Ids(new SearchFilter { Registries = ["nobody"] }));
    }

    [Fact]
    public void SearchText_FindsByMakerAndInscription_AndIgnoresQuerySyntax()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(8);
        store.Upsert(TempStore.Record("P1") with { Maker = "Jan Vermeer", Title = "Girl reading" }, [TempStore.Image(random, "a")]);
        store.Upsert(TempStore.Record("P2") with { InscriptionsAndMarkings = "Ex libris Bibliotheca Corviniana" }, [TempStore.Image(random, "b")]);
        store.Upsert(TempStore.Record("P3", registry: "ICOM") with { Maker = "Vermeer workshop" }, [TempStore.Image(random, "c")]);

        Assert.Equal(["P1", "P3"], store.SearchText("vermeer", SearchFilter.None, 10).Select(o => o.ObjectId).Order());
        Assert.Equal(["P2"], store.SearchText("corviniana", SearchFilter.None, 10).Select(o => o.ObjectId));
        Assert.Equal(["P3"], store.SearchText("Vermeer", new SearchFilter { Registries = ["ICOM"] }, 10).Select(o => o.ObjectId));
        Assert.Empty(store.SearchText("\"foo\" OR NOT * NEAR(", SearchFilter.None, 10));
        Assert.Equal(3, store.SearchText(null, SearchFilter.None, 10).Count);
    }

    [Fact]
    public void Search_EqualsNaiveReferenceOnRandomData()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(9);
        var rows = new List<(string Object, string Image, float[] Vector)>();
        for (int o = 0; o < 300; o++)
        {
            var images = Enumerable.Range(0, 1 + o % 3).Select(i => TempStore.Image(random, $"{o}-{i}", vectors: 1 + (o + i) % 4)).ToList();
            store.Upsert(TempStore.Record($"obj-{o:D3}"), images);
            rows.AddRange(images.SelectMany(i => i.Vectors.Select(v => ($"obj-{o:D3}", i.ImageId, v))));
        }

        for (int q = 0; q < 10; q++)
        {
            var query = TempStore.UnitVector(random);
            var expected = rows
                .Select(r => (r.Object, r.Image, Score: TensorPrimitives.Dot(query, r.Vector)))
                .GroupBy(r => r.Object).Select(g => g.MaxBy(r => r.Score))
                .OrderByDescending(r => r.Score).Take(10).ToList();

            var actual = store.Search(query, 10, SearchFilter.None);

            Assert.Equal(expected.Select(e => e.Object), actual.Select(a => a.ObjectId));
            Assert.Equal(expected.Select(e => e.Image), actual.Select(a => a.ImageId));
            Assert.Equal(expected.Select(e => e.Score), actual.Select(a => a.Score));
        }
    }

    [Fact]
    public void Search_LargeIndexScannedInParallel_EqualsReference()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 64);
        var random = new Random(10);
        var vectors = new List<(string, float[])>();
        for (int o = 0; o < 2000; o++)
        {
            var image = TempStore.Image(random, "x", vectors: 10, dim: 64);
            store.Upsert(TempStore.Record($"o{o}"), [image]);
            vectors.AddRange(image.Vectors.Select(v => ($"o{o}", v)));
        }
        var query = TempStore.UnitVector(random, 64);

        var expected = vectors.GroupBy(v => v.Item1).Select(g => (Id: g.Key, Score: g.Max(v => TensorPrimitives.Dot(query, v.Item2))))
            .OrderByDescending(x => x.Score).Take(20).ToList();
        var actual = store.Search(query, 20, SearchFilter.None);

        Assert.Equal(20_000, store.VectorCount);
        Assert.Equal(expected.Select(e => e.Id), actual.Select(a => a.ObjectId));
    }

    [Fact]
    public void Open_OtherModel_NeverReturnsTheFirstModelsVectors()
    {
        using var temp = new TempStore();
        var random = new Random(11);
        var image = TempStore.Image(random, "a");
        using (var store = temp.Open(model: "model-a"))
            store.Upsert(TempStore.Record("M"), [image]);

        using var other = temp.Open(model: "model-b");

        Assert.Equal(0, other.VectorCount);
        Assert.Empty(other.Search(image.Vectors[0], 5, SearchFilter.None));
        Assert.False(other.ContainsImage("M", image.ImageId));
        Assert.NotNull(other.Get("M"));
    }

    [Fact]
    public void ReplaceEmbeddings_SwitchesModelAndDimension()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(12);
        var image = TempStore.Image(random, "a");
        store.Upsert(TempStore.Record("R"), [image]);
        var replacement = TempStore.UnitVector(random, 16);

        store.ReplaceEmbeddings("model-2", 16, [(image.ImageId, [replacement])]);

        Assert.Equal(("model-2", 16, 1), (store.ModelId, store.Dimension, store.VectorCount));
        Assert.Equal("R", Assert.Single(store.Search(replacement, 1, SearchFilter.None)).ObjectId);
        using var reopened = SqliteCatalogStore.Open(temp.Directory, "model-2", 16);
        Assert.Equal(1, reopened.VectorCount);
    }

    [Fact]
    public void Writes_AreRecordedInTheAuditLog()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(13);
        store.Upsert(TempStore.Record("L"), [TempStore.Image(random, "a")], actor: "partner-1");
        store.AddImages("L", [TempStore.Image(random, "b")], actor: "partner-1");
        store.Delete("L", actor: "admin");

        var log = store.AuditLog();

        Assert.Equal(["delete", "add_images", "create"], log.Select(e => e.Action));
        Assert.Equal(["admin", "partner-1", "partner-1"], log.Select(e => e.Actor));
        Assert.All(log, e => Assert.Equal("L", e.ObjectId));
    }

    private static NewImage ImageNear(float[] query, Random random)
    {
        var noise = TempStore.UnitVector(random);
        var vector = query.Zip(noise, (a, b) => a + 0.3f * b).ToArray();
        ArtMatch.Core.Embedding.Pooling.L2Normalize(vector);
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return new NewImage(bytes, null, 1, 1, [vector]);
    }

    private sealed class TempStoreView(string directory) : IDisposable
    {
        private readonly SqliteConnection _connection = Open(directory);

        private static SqliteConnection Open(string directory)
        {
            var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "catalog.db")};Mode=ReadOnly;Pooling=False");
            connection.Open();
            return connection;
        }

        public int Count(string table)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            return (int)(long)command.ExecuteScalar()!;
        }

        public void Dispose() => _connection.Dispose();
    }
}
