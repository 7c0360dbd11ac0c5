using ArtMatch.Core.Catalog;
using ArtMatch.Core.Sift;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Tests;

public sealed class SiftStoreTests
{
    private const int Dim = 8;
    private const int Words = 16;

    /// <summary>Features whose descriptors are all one byte value, and their words (the same word for each).</summary>
    private static (FeatureSet Features, ushort[] Words) Features(int seed, int count = 20)
    {
        var points = Enumerable.Range(0, count).Select(i => new FeaturePoint(i * 3.5f, i * 1.25f, 2 + i, i * 17 % 360)).ToArray();
        var descriptors = Enumerable.Repeat((byte)(seed * 7), count * FeatureSet.DescriptorLength).ToArray();
        var words = Enumerable.Range(0, count).Select(i => (ushort)((seed + i % 3) % Words)).ToArray();
        return (new FeatureSet(640, 480, points, descriptors), words);
    }

    private static SiftVocabulary Vocabulary() => SiftVocabulary.Create(new float[Words * FeatureSet.DescriptorLength], 2, DateTimeOffset.UnixEpoch);

    private static NewImage Image(Random random, int seed)
    {
        var (features, _) = Features(seed);
        return TempStore.Image(random, $"sift-{seed}", vectors: 1, dim: Dim) with { Sift = features };
    }

    [Fact]
    public void SetSiftVocabulary_WordsSearchAndSurviveReopening()
    {
        using var temp = new TempStore();
        var random = new Random(1);
        var a = Image(random, 1);
        var b = Image(random, 2);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A"), [a]);
            store.Upsert(TempStore.Record("B"), [b]);
            Assert.Null(store.SiftVocabulary);
            Assert.Empty(store.SearchSiftWords(Features(1).Words, 5, SearchFilter.None));

            store.SetSiftVocabulary(Vocabulary(), new Dictionary<string, ushort[]> { [a.ImageId] = Features(1).Words, [b.ImageId] = Features(2).Words });

            Assert.Equal(["A", "B"], store.SearchSiftWords(Features(1).Words, 5, SearchFilter.None).Select(h => h.ObjectId));
            Assert.Equal(a.Sift!.Points.Select(p => (p.X, p.Y, p.Size)), store.GetSiftFeatures(a.ImageId)!.Points.Select(p => (p.X, p.Y, p.Size)));
            Assert.Equal(a.Sift.Descriptors, store.GetSiftFeatures(a.ImageId)!.Descriptors);
        }
        using (var reopened = temp.Open(dim: Dim))
        {
            Assert.Equal(Words, reopened.SiftVocabulary!.Words);
            Assert.Equal(["B", "A"], reopened.SearchSiftWords(Features(2).Words, 5, SearchFilter.None).Select(h => h.ObjectId));
            Assert.Equal(["A"], reopened.SearchSiftWords(Features(1).Words, 5, SearchFilter.None, new HashSet<string> { "B" }).Select(h => h.ObjectId));
            Assert.Empty(reopened.SearchSiftWords(Features(1).Words, 5, new SearchFilter { Registries = ["nobody"] }));

            Assert.True(reopened.Delete("A"));
            Assert.Equal(["B"], reopened.SearchSiftWords(Features(1).Words, 5, SearchFilter.None).Select(h => h.ObjectId));
        }
        using var raw = temp.Raw();
        Assert.Equal(1L, raw.Count("sift_features"));
    }

    [Fact]
    public void Upsert_AfterTheVocabulary_NewPictureIsSearchedByItsWords()
    {
        using var temp = new TempStore();
        var random = new Random(2);
        using var store = temp.Open(dim: Dim);
        store.Upsert(TempStore.Record("A"), [Image(random, 1)]);
        store.SetSiftVocabulary(Vocabulary(), new Dictionary<string, ushort[]>());

        store.Upsert(TempStore.Record("C"), [Image(random, 9) with { SiftWords = Features(9).Words }]);

        Assert.Equal(["C"], store.SearchSiftWords(Features(9).Words, 5, SearchFilter.None).Select(h => h.ObjectId));
    }

    [Fact]
    public void Open_Version4Store_MigratesAndListsImagesWithoutSiftFeatures()
    {
        using var temp = new TempStore();
        var random = new Random(3);
        var a = TempStore.Image(random, "plain", vectors: 1, dim: Dim);
        using (var store = temp.Open(dim: Dim))
            store.Upsert(TempStore.Record("A") with { Maker = "Goya" }, [a]);
        using (var db = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "DROP TABLE sift_features; DROP TABLE sift_vocabulary; ALTER TABLE audit_log DROP COLUMN hash; PRAGMA user_version = 4;";
            command.ExecuteNonQuery();
        }

        using var upgraded = temp.Open(dim: Dim);

        Assert.Equal("Goya", upgraded.Get("A")!.Maker);
        Assert.Equal([a.ImageId], upgraded.ImagesWithoutSiftFeatures());
        Assert.True(upgraded.SetSiftFeatures(a.ImageId, Features(2).Features, null));
        Assert.False(upgraded.SetSiftFeatures("no-such-image", Features(2).Features, null));
        Assert.Empty(upgraded.ImagesWithoutSiftFeatures());
        using var raw = temp.Raw();
        Assert.Equal(9L, raw.Scalar("PRAGMA user_version"));
        Assert.Equal(1L, raw.Count("sift_features"));
    }
}
