using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage.Tests;

public class StoreWriteTests
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
            Extra = new Dictionary<string, string> { ["case"] = "A-17", ["url"] = "https://example.org/a17", ["note"] = "quotes \" and ünïcode" },
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
    public void Upsert_OnlyObjectId_RoundTripsWithNullsAndNoExtra()
    {
        using var temp = new TempStore();
        using var store = temp.Open();

        store.Upsert(new CulturalObject { ObjectId = "bare" }, []);

        var loaded = store.Get("bare")!;
        Assert.Equal(new CulturalObject { ObjectId = "bare", Extra = loaded.Extra }, loaded);
        Assert.Empty(loaded.Extra);
        Assert.Equal(1, store.ObjectCount);
        Assert.Equal(0, store.VectorCount);
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
        Assert.Equal(2, store.GetImages("X").Count);
        Assert.Equal("new title", store.Get("X")!.Title);
        using var raw = temp.Raw();
        Assert.Equal((1L, 2L, 4L, 1L), (raw.Count("objects"), raw.Count("images"), raw.Count("vectors"), raw.Count("objects_fts")));
    }

    [Fact]
    public void AddImages_SameImageTwiceInOneCall_StoresItOnce()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(3);
        store.Upsert(TempStore.Record("X"), []);
        var image = TempStore.Image(random, "a", vectors: 2);

        var result = store.AddImages("X", [image, image]);

        Assert.Equal((1, 1), (result.ImagesAdded, result.ImagesAlreadyPresent));
        Assert.Equal(2, store.VectorCount);
        Assert.True(store.ContainsImage("X", image.ImageId));
        Assert.Equal(image.Encoded, store.GetImageBytes(image.ImageId));
    }

    [Fact]
    public void AddImages_UnknownObject_ThrowsObjectNotFound()
    {
        using var temp = new TempStore();
        using var store = temp.Open();

        var error = Assert.Throws<ObjectNotFoundException>(() => store.AddImages("nope", [TempStore.Image(new Random(3), "a")]));

        Assert.Equal("nope", error.ObjectId);
        Assert.Contains("nope", error.Message);
        Assert.Equal(0, store.VectorCount);
        using var raw = temp.Raw();
        Assert.Equal(0, raw.Count("images"));
    }

    [Fact]
    public void Upsert_VectorOfWrongDimension_ThrowsAndWritesNothing()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(4);

        var error = Assert.Throws<ArgumentException>(() => store.Upsert(TempStore.Record("Y"), [TempStore.Image(random, "good"), TempStore.Image(random, "bad", dim: 10)]));

        Assert.Contains("10-d", error.Message);
        Assert.Null(store.Get("Y"));
        Assert.Equal(0, store.VectorCount);
    }

    [Fact]
    public void Upsert_FailingAfterRecordAndFirstImageWritten_LeavesNothingBehind()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(5);
        var good = TempStore.Image(random, "ok", vectors: 2);
        var failing = TempStore.FailingImage(random);

        var error = Assert.Throws<IOException>(() => store.Upsert(TempStore.Record("Z") with { Maker = "Caravaggio" }, [good, failing]));

        Assert.Contains("simulated", error.Message);
        Assert.Null(store.Get("Z"));
        Assert.Empty(store.GetImages("Z"));
        Assert.Null(store.GetImageBytes(good.ImageId));
        Assert.Equal(0, store.VectorCount);
        Assert.Empty(store.Search(good.Vectors[0], 5, SearchFilter.None));
        Assert.Empty(store.SearchText("Caravaggio", SearchFilter.None, 5));
        using var raw = temp.Raw();
        Assert.Equal(0, raw.Count("objects") + raw.Count("images") + raw.Count("vectors") + raw.Count("objects_fts") + raw.Count("audit_log"));
    }

    [Fact]
    public void Upsert_FailingUpdateOfExistingObject_KeepsTheOldVersion()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(6);
        var first = TempStore.Image(random, "first");
        store.Upsert(TempStore.Record("Z") with { Title = "old" }, [first]);
        var second = TempStore.Image(random, "second");

        Assert.Throws<IOException>(() => store.Upsert(TempStore.Record("Z") with { Title = "new" }, [second, TempStore.FailingImage(random)]));

        Assert.Equal("old", store.Get("Z")!.Title);
        Assert.Equal([first.ImageId], store.GetImages("Z").Select(i => i.ImageId));
        Assert.Equal(1, store.VectorCount);
        Assert.Single(store.SearchText("old", SearchFilter.None, 5));
        Assert.Empty(store.SearchText("new", SearchFilter.None, 5));
        Assert.Equal("Z", Assert.Single(store.Search(first.Vectors[0], 5, SearchFilter.None)).ObjectId);
    }

    [Fact]
    public void Upsert_NullVector_ThrowsArgumentException()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var broken = new NewImage([1, 2, 3], "broken", 10, 10, [TempStore.UnitVector(new Random(7)), null!]);

        Assert.Throws<ArgumentException>(() => store.Upsert(TempStore.Record("N"), [broken]));

        Assert.Null(store.Get("N"));
    }

    [Fact]
    public void Delete_RemovesRecordImagesVectorsTextAndHits()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(8);
        var image = TempStore.Image(random, "a", vectors: 3);
        store.Upsert(TempStore.Record("D") with { Maker = "Vermeer" }, [image]);
        store.Upsert(TempStore.Record("E"), [TempStore.Image(random, "b")]);

        Assert.True(store.Delete("D"));

        Assert.False(store.Delete("D"));
        Assert.Null(store.Get("D"));
        Assert.Empty(store.GetImages("D"));
        Assert.Null(store.GetImageBytes(image.ImageId));
        Assert.Empty(store.SearchText("Vermeer", SearchFilter.None, 10));
        Assert.DoesNotContain(store.Search(image.Vectors[0], 10, SearchFilter.None), h => h.ObjectId == "D");
        Assert.Equal((1, 1), (store.ObjectCount, store.VectorCount));
        using var raw = temp.Raw();
        Assert.Equal((1L, 1L, 1L, 1L), (raw.Count("objects"), raw.Count("images"), raw.Count("vectors"), raw.Count("objects_fts")));
    }

    [Fact]
    public void Delete_ThenUpsertAgain_ObjectIsBackWithOnlyNewImages()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(9);
        var old = TempStore.Image(random, "old");
        store.Upsert(TempStore.Record("R"), [old]);
        store.Delete("R");
        var fresh = TempStore.Image(random, "fresh");

        var result = store.Upsert(TempStore.Record("R"), [fresh]);

        Assert.True(result.Created);
        var hit = Assert.Single(store.Search(old.Vectors[0], 5, SearchFilter.None));
        Assert.Equal(("R", fresh.ImageId), (hit.ObjectId, hit.ImageId));
    }

    [Fact]
    public void Writes_AreRecordedInTheAuditLog()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        var random = new Random(10);
        store.Upsert(TempStore.Record("L"), [TempStore.Image(random, "a")], actor: "partner-1");
        store.Upsert(TempStore.Record("L"), [], actor: "partner-2");
        store.AddImages("L", [TempStore.Image(random, "b")], actor: "partner-1");
        store.Audit("officer-7", "view", "L", "screening case 12");
        store.Delete("L", actor: "admin");

        var log = store.AuditLog();

        Assert.Equal(["delete", "view", "add_images", "update", "create"], log.Select(e => e.Action));
        Assert.Equal(["admin", "officer-7", "partner-1", "partner-2", "partner-1"], log.Select(e => e.Actor));
        Assert.All(log, e => Assert.Equal("L", e.ObjectId));
        Assert.Equal("screening case 12", log[1].Detail);
        Assert.All(log, e => Assert.Equal(DateTimeKind.Utc, e.At.Kind));
    }
}
