using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Tests;

public class KeypointStoreTests
{
    private const int Dim = 8;
    private const int MinInliers = 6;

    /// <summary>The photo: the middle of texture <paramref name="seed"/>, detected on its own.</summary>
    private static KeypointSet CropOf(int seed) => Textures.Keypoints(Textures.MiddleCrop(Textures.Blocks(seed)));

    private static IReadOnlyList<KeypointCandidate> Find(SqliteCatalogStore store, int seed, SearchFilter? filter = null, IReadOnlySet<string>? exclude = null) =>
        store.SearchKeypoints(CropOf(seed), MinInliers, top: 5, filter ?? SearchFilter.None, exclude);

    [Fact]
    public void SearchKeypoints_CropOfStoredPicture_FindsItsObjectAndImageAfterReopen()
    {
        using var temp = new TempStore();
        var random = new Random(1);
        var a = Textures.Image(random, seed: 1);
        var b = Textures.Image(random, seed: 2);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A"), [a]);
            store.Upsert(TempStore.Record("B"), [b]);
        }

        using var reopened = temp.Open(dim: Dim);

        var hit = Assert.Single(Find(reopened, seed: 1));
        Assert.Equal(("A", a.ImageId), (hit.ObjectId, hit.ImageId));
        Assert.True(hit.Inliers >= MinInliers);
        Assert.Empty(Find(reopened, seed: 3));
        Assert.Empty(reopened.ImagesWithoutKeypoints());
        using var raw = temp.Raw();
        Assert.Equal(2L, raw.Count("keypoints"));
    }

    [Fact]
    public void AddImages_WithKeypoints_MakesThemSearchable()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(2);
        store.Upsert(TempStore.Record("A"), [TempStore.Image(random, "plain", dim: Dim)]);
        var textured = Textures.Image(random, seed: 4);

        store.AddImages("A", [textured]);

        var hit = Assert.Single(Find(store, seed: 4));
        Assert.Equal(("A", textured.ImageId), (hit.ObjectId, hit.ImageId));
        Assert.Equal([store.GetImages("A")[0].ImageId], store.ImagesWithoutKeypoints());
    }

    [Fact]
    public void SearchKeypoints_Filter_LeavesOutObjectsOfOtherRegistriesAndStatuses()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(3);
        store.Upsert(TempStore.Record("A", registry: "INTERPOL", status: ObjectStatus.Stolen), [Textures.Image(random, seed: 1)]);
        store.Upsert(TempStore.Record("B", registry: "ICOM"), [Textures.Image(random, seed: 2)]);

        Assert.Empty(Find(store, seed: 1, new SearchFilter { Registries = ["ICOM"] }));
        Assert.Empty(Find(store, seed: 1, new SearchFilter { Statuses = [ObjectStatus.Missing] }));
        Assert.Equal(["A"], Find(store, seed: 1, new SearchFilter { Registries = ["interpol"] }).Select(c => c.ObjectId));
        Assert.Equal(["B"], Find(store, seed: 2, new SearchFilter { Registries = ["ICOM"], Countries = ["FR"] }).Select(c => c.ObjectId));
    }

    [Fact]
    public void SearchKeypoints_ExcludedObject_IsNotReturned()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(4);
        store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);
        store.Upsert(TempStore.Record("B"), [Textures.Image(random, seed: 2)]);

        Assert.Empty(Find(store, seed: 1, exclude: new HashSet<string> { "A" }));
        Assert.Equal(["A"], Find(store, seed: 1, exclude: new HashSet<string> { "B" }).Select(c => c.ObjectId));
    }

    [Fact]
    public void Delete_RemovesKeypointsFromSearchAndDisk()
    {
        using var temp = new TempStore();
        var random = new Random(5);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);
            store.Upsert(TempStore.Record("B"), [Textures.Image(random, seed: 2)]);

            Assert.True(store.Delete("A"));

            Assert.Empty(Find(store, seed: 1));
            Assert.Equal(["B"], Find(store, seed: 2).Select(c => c.ObjectId));
        }
        using (var reopened = temp.Open(dim: Dim))
            Assert.Empty(Find(reopened, seed: 1));
        using var raw = temp.Raw();
        Assert.Equal(0L, raw.Scalar("SELECT COUNT(*) FROM keypoints WHERE object_id = 'A'"));
    }

    [Fact]
    public void Delete_ThenUpsertAgainWithoutThePicture_DoesNotBringItsKeypointsBack()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(6);
        store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);
        store.Delete("A");

        store.Upsert(TempStore.Record("A"), [TempStore.Image(random, "plain", dim: Dim)]);

        Assert.Empty(Find(store, seed: 1));
    }

    [Fact]
    public void Upsert_FailingAfterAnImageWithKeypoints_LeavesNoKeypointsBehind()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(7);
        var textured = Textures.Image(random, seed: 1);

        Assert.Throws<IOException>(() => store.Upsert(TempStore.Record("Z"), [textured, TempStore.FailingImage(random, Dim)]));

        Assert.Null(store.Get("Z"));
        Assert.Empty(Find(store, seed: 1));
        using var raw = temp.Raw();
        Assert.Equal(0L, raw.Count("keypoints") + raw.Count("images"));
    }

    [Fact]
    public void Open_Version3Store_UpgradesKeepingDataAndSetKeypointsBackfillsItsImages()
    {
        using var temp = new TempStore();
        var random = new Random(8);
        var a = TempStore.Image(random, "a", dim: Dim);
        var shared = TempStore.Image(random, "shared", dim: Dim);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A") with { Maker = "Goya" }, [a, shared]);
            store.Upsert(TempStore.Record("B"), [shared]);
        }
        DowngradeToVersion3(temp.DatabasePath);

        using var upgraded = temp.Open(dim: Dim);

        Assert.Equal("Goya", upgraded.Get("A")!.Maker);
        var vectorHit = upgraded.Search(a.Vectors[0], 1, SearchFilter.None)[0];
        Assert.Equal(("A", a.ImageId), (vectorHit.ObjectId, vectorHit.ImageId));
        Assert.Equal(new[] { a.ImageId, shared.ImageId }.Order(StringComparer.Ordinal), upgraded.ImagesWithoutKeypoints());

        Assert.True(upgraded.SetKeypoints(a.ImageId, Textures.Keypoints(Textures.Blocks(1))));
        Assert.True(upgraded.SetKeypoints(shared.ImageId, Textures.Keypoints(Textures.Blocks(2))));
        Assert.False(upgraded.SetKeypoints("no-such-image", Textures.Keypoints(Textures.Blocks(3))));

        Assert.Empty(upgraded.ImagesWithoutKeypoints());
        var hit = Assert.Single(Find(upgraded, seed: 1));
        Assert.Equal(("A", a.ImageId), (hit.ObjectId, hit.ImageId));
        // The shared picture is stored under both objects; each is found once the other is ruled out.
        Assert.Equal([("B", shared.ImageId)], Find(upgraded, seed: 2, exclude: new HashSet<string> { "A" }).Select(c => (c.ObjectId, c.ImageId)));
        Assert.Equal([("A", shared.ImageId)], Find(upgraded, seed: 2, exclude: new HashSet<string> { "B" }).Select(c => (c.ObjectId, c.ImageId)));
        using var raw = temp.Raw();
        Assert.Equal(9L, raw.Scalar("PRAGMA user_version"));
        Assert.Equal(3L, raw.Count("keypoints"));
    }

    [Fact]
    public void SetKeypoints_ReplacesAnImagesKeypoints()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(9);
        var image = Textures.Image(random, seed: 1);
        store.Upsert(TempStore.Record("A"), [image]);

        Assert.True(store.SetKeypoints(image.ImageId, Textures.Keypoints(Textures.Blocks(5))));

        Assert.Empty(Find(store, seed: 1));
        Assert.Equal(["A"], Find(store, seed: 5).Select(c => c.ObjectId));
        using var raw = temp.Raw();
        Assert.Equal(1L, raw.Count("keypoints"));
    }

    [Fact]
    public void ReplaceEmbeddings_KeepsKeypoints()
    {
        using var temp = new TempStore();
        var random = new Random(10);
        var image = Textures.Image(random, seed: 1);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A"), [image]);

            store.ReplaceEmbeddings("other-model", 4, [(image.ImageId, [TempStore.UnitVector(random, 4)])]);

            Assert.Equal(["A"], Find(store, seed: 1).Select(c => c.ObjectId));
        }
        using (var reopened = temp.Open("other-model", 4))
        {
            Assert.Equal(["A"], Find(reopened, seed: 1).Select(c => c.ObjectId));
            Assert.Empty(reopened.ImagesWithoutKeypoints());
        }
        using var raw = temp.Raw();
        Assert.Equal(1L, raw.Count("keypoints"));
    }

    [Fact]
    public void ScoreObjects_NamedObjects_BestPlainCosineOfEachEqualsNaiveReference()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: Dim);
        var random = new Random(11);
        var rows = new List<ReferenceRow>();
        for (int o = 0; o < 6; o++)
        {
            var images = Enumerable.Range(0, 1 + o % 3).Select(i => TempStore.Image(random, $"{o}-{i}", vectors: 3, dim: Dim)).ToList();
            store.Upsert(TempStore.Record($"obj-{o}"), images);
            rows.AddRange(NaiveSearch.Rows($"obj-{o}", images));
        }
        store.Upsert(TempStore.Record("no-images"), []);
        store.Delete("obj-5");
        var query = TempStore.UnitVector(random, Dim);

        var hits = store.ScoreObjects(query, ["obj-4", "obj-1", "unknown", "obj-4", "no-images", "obj-5", "obj-2"]);

        Assert.Equal(["obj-4", "obj-1", "obj-2"], hits.Select(h => h.ObjectId));
        foreach (var hit in hits)
        {
            var best = rows.Where(r => r.ObjectId == hit.ObjectId).MaxBy(r => TensorPrimitives.Dot(query, r.Vector))!;
            Assert.Equal((best.ImageId, best.Region), (hit.ImageId, hit.Region));
            Assert.Equal(TensorPrimitives.Dot(query, best.Vector), hit.Score, 1e-5f);
            Assert.Null(hit.WhitenedScore);
        }
        Assert.Empty(store.ScoreObjects(query, []));
    }

    /// <summary>Turns a current store into the version-3 layout: without keypoints, SIFT features and the audit chain (the case tables are created only when missing).</summary>
    private static void DowngradeToVersion3(string path)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "DROP TABLE keypoints; DROP TABLE sift_features; DROP TABLE sift_vocabulary; ALTER TABLE audit_log DROP COLUMN hash; PRAGMA user_version = 3;";
        command.ExecuteNonQuery();
    }
}
