using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

/// <summary>
/// The row file in the inverted file's list order (each list one contiguous range, searched with positional
/// reads), a store of the version before it migrated on opening, a process killed with SIGKILL during that
/// migration, and the bulk load that learns the inverted file once at the end. One class: the tests that make
/// stores the old way set <see cref="StorageTestHooks.LeaveRowsUnordered"/>, so they do not run beside the others;
/// the hook is process-wide, so the class runs alone (<see cref="ProcessWideHooks"/>): a store another class
/// opened meanwhile would be left unordered too, and ordered later by a reopening it does not expect.
/// </summary>
[Collection(ProcessWideHooks.Name)]
public class ListOrderTests
{
    private const int Dim = 64;
    private const int Objects = 1500;   // 3,000 rows

    // The same clustered store as KillTests' (40 centres, 3,000 rows).
    private static List<float[]> Vectors(int seed) => KillTests.Vectors(seed);

    // Every list probed (3,000 rows make 16 lists): the answers are the exact scan's, whatever the order of the rows.
    private static SqliteCatalogStore Open(TempStore temp, int approximateAboveRows = 2000) =>
        SqliteCatalogStore.Open(temp.Directory, TempStore.Model, Dim, null, new EmbeddedIndexSettings { ApproximateAboveRows = approximateAboveRows, Probes = 64 });

    private static List<string> Answers(SqliteCatalogStore store, List<float[]> vectors) =>
        vectors.Where((_, i) => i % 25 == 0).Select(v => store.Search(v, 1, SearchFilter.None)[0].ObjectId).ToList();

    /// <summary>A whitened store with an inverted file, closed; its answers before the inverted file (the exact scan).</summary>
    private static List<string> Build(TempStore temp, List<float[]> vectors, bool unordered)
    {
        StorageTestHooks.LeaveRowsUnordered = unordered;
        try
        {
            using var store = Open(temp);
            for (int o = 0; o < Objects; o++)
                store.Upsert(TempStore.Record($"obj-{o:D4}"), [new NewImage(BitConverter.GetBytes(o), $"img-{o}", 10, 10, [vectors[2 * o], vectors[2 * o + 1]])]);
            using (store.BeginBulkLoad())   // as an import does
                Assert.True(store.RefreshWhitening(0));
            var exact = Answers(store, vectors);
            store.EmbeddedIndex.WaitForBackgroundWork();
            Assert.Null(store.EmbeddedIndex.BackgroundError);
            Assert.True(store.EmbeddedIndex.IvfListCount > 0);
            Assert.Equal(unordered ? 0 : 2 * Objects, store.EmbeddedIndex.OrderedRows > 100 ? store.EmbeddedIndex.OrderedRows : 0);
            Assert.Equal(exact, Answers(store, vectors));
            return exact;
        }
        finally
        {
            StorageTestHooks.LeaveRowsUnordered = false;
        }
    }

    private static void Kill(System.Diagnostics.Process process)
    {
        process.Kill();   // SIGKILL on Linux
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(137, process.ExitCode);
        process.Dispose();
    }

    private static void AssertOrderedAndSame(TempStore temp, List<float[]> vectors, List<string> before)
    {
        using var store = Open(temp);
        var opening = store.LastRowFileOpening!.Value;
        store.EmbeddedIndex.WaitForBackgroundWork();   // the rows are written again in list order in the background
        Assert.Null(store.EmbeddedIndex.BackgroundError);
        Assert.True(opening.Ivf, opening.ToString());
        Assert.Equal(2 * Objects, opening.Reused);
        Assert.Equal(2 * Objects, store.EmbeddedIndex.OrderedRows);
        Assert.Equal(before, Answers(store, vectors));
        Assert.False(File.Exists(Path.Combine(temp.Directory, "vectors.rows.tmp")));
        Assert.False(File.Exists(Path.Combine(temp.Directory, "vectors.rows.ivf.next")));
    }

    [Fact]
    public void BulkLoad_LearnsNoInvertedFileUntilItEnds()
    {
        var random = new Random(90);
        using var index = new EmbeddedVectorIndex(Dim, new EmbeddedIndexSettings { ApproximateAboveRows = 1500, Probes = 64 });
        void Add(int o) => index.Upsert(new IndexedObject($"o{o}", null, null, ObjectStatus.Stolen, null), [new IndexedImage($"i{o}", [TempStore.UnitVector(random, Dim), TempStore.UnitVector(random, Dim)])]);
        using (index.BeginBulkLoad())
        {
            for (int o = 0; o < 400; o++)
                Add(o);
            Assert.True(index.Train(0));
            for (int o = 400; o < 1600; o++)
                Add(o);   // 3,200 rows: past the threshold, and past twice 1,500
            index.WaitForBackgroundWork();
            Assert.Equal(0, index.IvfListCount);
        }
        index.WaitForBackgroundWork();
        Assert.Null(index.BackgroundError);
        Assert.True(index.IvfListCount > 0);
        Assert.Contains("inverted file", index.Describe());
    }

    [Fact]
    public void InvertedFileInstalled_RowsInListOrder_ReopenedTheSame()
    {
        using var temp = new TempStore();
        var vectors = Vectors(91);
        var before = Build(temp, vectors, unordered: false);
        AssertOrderedAndSame(temp, vectors, before);
        AssertOrderedAndSame(temp, vectors, before);   // the keys in list order are matched again
    }

    [Fact]
    public void StoreOfThePreviousVersion_MigratedToListOrderOnOpening_KilledMidway_OpensAndFinishes()
    {
        using var temp = new TempStore();
        var vectors = Vectors(92);
        var before = Build(temp, vectors, unordered: true);
        string rows = Path.Combine(temp.Directory, "vectors.rows");

        // Killed while the rows are written again in list order: the old file is whole, with its inverted file.
        Kill(Program.StartStopped("open", temp.Directory, $"{Dim}", "2000", "512", "rows", "1024"));
        Assert.True(File.Exists(rows + ".tmp"));
        AssertOrderedAndSame(temp, vectors, before);
    }

    [Fact]
    public void Migration_KilledBetweenTheRowFileAndItsInvertedFile_OpensWithTheNewOnesInvertedFile()
    {
        using var temp = new TempStore();
        var vectors = Vectors(93);
        var before = Build(temp, vectors, unordered: true);
        Kill(Program.StartStopped("open", temp.Directory, $"{Dim}", "2000", "512", "reordered", "0"));
        Assert.True(File.Exists(Path.Combine(temp.Directory, "vectors.rows.ivf.next")));
        AssertOrderedAndSame(temp, vectors, before);
    }

    [Fact]
    public void Migration_SearchesAndWritesDuringTheRewrite_AreAnswered_AndTheWritesKept()
    {
        using var temp = new TempStore();
        var vectors = Vectors(94);
        Build(temp, vectors, unordered: true);
        var added = TempStore.UnitVector(new Random(95), Dim);
        using var paused = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        int block = EmbeddedVectorIndex.ListOrderBlock;
        EmbeddedVectorIndex.ListOrderBlock = 512;
        StorageTestHooks.ListOrderRowsWritten = rows =>
        {
            if (rows >= 1024 && !paused.IsSet)
            {
                paused.Set();
                resume.Wait();
            }
        };
        try
        {
            using var store = Open(temp);
            // A guard against a rewrite that never starts, not a measurement.
            Assert.True(paused.Wait(TimeSpan.FromMinutes(10)), "the rewrite did not reach its second block");
            // Halfway through the rewrite (no lock held between blocks): a search answers, a write goes through.
            var before = Answers(store, vectors);
            store.Upsert(TempStore.Record("added"), [new NewImage(BitConverter.GetBytes(-1), "img-added", 10, 10, [added])]);
            Assert.True(store.Delete("obj-0000"));
            Assert.Equal("added", store.Search(added, 1, SearchFilter.None)[0].ObjectId);
            var during = Answers(store, vectors);
            Assert.NotEqual(before, during);   // obj-0000 was the answer of the first query vector
            resume.Set();
            store.EmbeddedIndex.WaitForBackgroundWork();
            Assert.Null(store.EmbeddedIndex.BackgroundError);
            Assert.InRange(store.EmbeddedIndex.OrderedRows, 2 * Objects, 2 * Objects + 1);
            Assert.Equal(during, Answers(store, vectors));
            Assert.Equal("added", store.Search(added, 1, SearchFilter.None)[0].ObjectId);
        }
        finally
        {
            resume.Set();
            StorageTestHooks.ListOrderRowsWritten = null;
            EmbeddedVectorIndex.ListOrderBlock = block;
        }
        using var reopened = Open(temp);
        Assert.Equal(2 * Objects + 1 - 2, reopened.LastRowFileOpening!.Value.Reused);
        Assert.Equal("added", reopened.Search(added, 1, SearchFilter.None)[0].ObjectId);
        Assert.DoesNotContain("obj-0000", Answers(reopened, vectors));
    }
}

/// <summary>Test classes that set a process-wide <see cref="StorageTestHooks"/> hook: they run alone, beside no other class.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideHooks
{
    public const string Name = "process-wide storage hooks";
}
