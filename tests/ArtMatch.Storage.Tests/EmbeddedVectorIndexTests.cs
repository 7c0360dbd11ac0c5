using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

/// <summary>The embedded index through <see cref="IVectorIndex"/>, the contract a server-backed index implements too.</summary>
public class EmbeddedVectorIndexTests
{
    private const int Dim = 32;

    private static IndexedImage Image(Random random, string id, int regions = 3) =>
        new(id, Enumerable.Range(0, regions).Select(_ => TempStore.UnitVector(random, Dim)).ToList());

    [Fact]
    public void DeleteImage_OneOfTwo_OtherImageStillFoundAndDeletedOneNot()
    {
        var random = new Random(40);
        using IVectorIndex index = new EmbeddedVectorIndex(Dim);
        var (kept, dropped) = (Image(random, "kept"), Image(random, "dropped"));
        index.Upsert(new IndexedObject("A", "INTERPOL", "coin", ObjectStatus.Stolen, "FR"), [kept, dropped]);
        index.Upsert(new IndexedObject("B", "ICOM", "painting", ObjectStatus.Stolen, "IQ"), [Image(random, "b")]);

        Assert.True(index.DeleteImage("A", "dropped"));
        Assert.False(index.DeleteImage("A", "dropped"));

        Assert.Equal(6, index.RowCount);
        var hits = index.SearchMany([dropped.Vectors[1], kept.Vectors[2]], 5, SearchFilter.None);
        Assert.All(hits[0], hit => Assert.NotEqual("dropped", hit.ImageId));
        Assert.Equal(("A", "kept", 2), (hits[1][0].ObjectId, hits[1][0].ImageId, hits[1][0].Region));
    }

    [Fact]
    public void Upsert_ChangedFields_FilterFollowsAndDeleteObjectDropsRows()
    {
        var random = new Random(41);
        using IVectorIndex index = new EmbeddedVectorIndex(Dim);
        var image = Image(random, "a");
        index.Upsert(new IndexedObject("A", "INTERPOL", null, ObjectStatus.Stolen, null), [image]);
        var icom = new SearchFilter { Registries = ["icom"] };
        Assert.Empty(index.SearchMany([image.Vectors[0]], 5, icom)[0]);
        Assert.Null(index.AllowedObjectIds(SearchFilter.None));

        index.Upsert(new IndexedObject("A", "ICOM", null, ObjectStatus.Stolen, null), []);

        Assert.Equal("A", Assert.Single(index.SearchMany([image.Vectors[0]], 5, icom)[0]).ObjectId);
        Assert.Equal(["A"], index.AllowedObjectIds(icom)!);
        Assert.True(index.DeleteObject("A"));
        Assert.Equal(0, index.RowCount);
        Assert.Empty(index.SearchMany([image.Vectors[0]], 5, SearchFilter.None)[0]);
        Assert.Empty(index.ScoreObjects(image.Vectors[0], ["A"]));
    }

    [Fact]
    public void SearchSplit_FromTheSettings_KeptWhenAStoreLoadsItsIndex()
    {
        var settings = new EmbeddedIndexSettings { ParallelAboveRows = 0, SearchThreads = 1 };
        using var index = new EmbeddedVectorIndex(Dim, settings);
        Assert.Equal((0, 1), index.SearchSplit);

        // Loading a store swaps in an index built elsewhere: it searches by the same settings, not by defaults.
        index.Replace(new VectorIndex(Dim));
        Assert.Equal((0, 1), index.SearchSplit);

        index.SetSearchThreads(2);
        Assert.Equal((0, 2), index.SearchSplit);
        Assert.Equal((20_000, Environment.ProcessorCount), new EmbeddedVectorIndex(Dim).SearchSplit);
    }

    [Fact]
    public void SearchSplit_OverEveryRowOnTwoThreads_SameHitsAsOneThread()
    {
        var random = new Random(42);
        using var split = new EmbeddedVectorIndex(Dim, new EmbeddedIndexSettings { ParallelAboveRows = 0, SearchThreads = 2 });
        using var single = new EmbeddedVectorIndex(Dim, new EmbeddedIndexSettings { SearchThreads = 1 });
        for (int o = 0; o < 40; o++)
        {
            var image = Image(random, $"i{o}");
            split.Upsert(new IndexedObject($"O{o}", "INTERPOL", null, ObjectStatus.Stolen, null), [image]);
            single.Upsert(new IndexedObject($"O{o}", "INTERPOL", null, ObjectStatus.Stolen, null), [image]);
        }
        var query = TempStore.UnitVector(random, Dim);

        Assert.Equal(single.SearchMany([query], 10, SearchFilter.None)[0], split.SearchMany([query], 10, SearchFilter.None)[0]);
    }

    [Theory]
    [InlineData(-1, 0, "index.embedded.parallel_above_rows")]
    [InlineData(0, -1, "index.embedded.search_threads")]
    [InlineData(0, 65, "index.embedded.search_threads")]
    public void New_SettingsThatCannotWork_RefusedNamingTheSetting(int parallelAboveRows, int searchThreads, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => new EmbeddedVectorIndex(Dim, new EmbeddedIndexSettings { ParallelAboveRows = parallelAboveRows, SearchThreads = searchThreads }));
        Assert.Contains(named, error.Message);
    }
}
