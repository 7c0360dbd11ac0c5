using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

/// <summary>
/// The compact rows in a memory-mapped file beside the store (vectors.rows, a cache of SQLite's vectors):
/// opened by mapping, matched with SQLite by rowid, deletes as tombstones, a damaged or stale file written
/// again, a file behind SQLite (a process killed between the commit and the append) completed.
/// </summary>
public class RowFileTests
{
    private const int Dim = 64;

    private static List<float[]> Vectors(int seed, int count)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, 30).Select(_ => TempStore.UnitVector(random, Dim)).ToList();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var v = (float[])centres[random.Next(centres.Count)].Clone();
            TensorPrimitives.MultiplyAdd(TempStore.UnitVector(random, Dim), 0.6f, v, v);
            Pooling.L2Normalize(v);
            return v;
        }).ToList();
    }

    private static void Add(SqliteCatalogStore store, List<float[]> vectors, int from, int to)
    {
        for (int o = from; o < to; o++)
            store.Upsert(TempStore.Record($"obj-{o:D3}"), [new NewImage(BitConverter.GetBytes(o), $"img-{o}", 10, 10, [vectors[2 * o], vectors[2 * o + 1]])]);
    }

    /// <summary>Each query's top 5 (object and plain score) as text, to compare openings.</summary>
    private static List<string> Answers(SqliteCatalogStore store, List<float[]> queries) =>
        queries.Select(q => string.Join(' ', store.Search(q, 5, SearchFilter.None).Select(h => $"{h.ObjectId}:{h.Score:F5}"))).ToList();

    private static string RowFile(TempStore temp) => Path.Combine(temp.Directory, "vectors.rows");

    [Fact]
    public void Reopen_MapsTheRowFile_SameAnswers_NoRowsInTheManagedHeap()
    {
        using var temp = new TempStore();
        var vectors = Vectors(70, 200);
        var queries = vectors.Where((_, i) => i % 9 == 0).ToList();
        List<string> before;
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 0, 100);
            Assert.True(store.RefreshWhitening(0));
            Assert.True(File.Exists(RowFile(temp)));
            Assert.False(File.Exists(RowFile(temp) + ".tmp"));
            before = Answers(store, queries);
        }
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Assert.Equal(new RowFileOpening(200, 0, 0, false, false), store.LastRowFileOpening);
            Assert.Equal(0, store.EmbeddedIndex.RowBytes);
            Assert.True(store.EmbeddedIndex.DiskBytes > 200 * (512 / 8));
            Assert.Contains("memory-mapped", store.EmbeddedIndex.Describe());
            Assert.Equal(before, Answers(store, queries));
            Assert.Equal("obj-008", store.Search(vectors[17], 1, SearchFilter.None)[0].ObjectId);
        }
    }

    [Fact]
    public void AddsAndDeletes_AfterReopen_TombstonesSkipped_NewRowsTaken()
    {
        using var temp = new TempStore();
        var vectors = Vectors(71, 240);
        var queries = vectors.Where((_, i) => i % 7 == 0).ToList();
        List<string> before;
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 0, 100);
            Assert.True(store.RefreshWhitening(0));
            Add(store, vectors, 100, 120);
            Assert.True(store.Delete("obj-008"));
            Assert.True(store.Delete("obj-110"));
            before = Answers(store, queries);
            Assert.DoesNotContain(before, a => a.Contains("obj-008:", StringComparison.Ordinal));
        }
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Assert.Equal(new RowFileOpening(236, 0, 4, false, false), store.LastRowFileOpening);
            Assert.Equal(236, store.VectorCount);
            Assert.Equal(before, Answers(store, queries));
            Assert.Equal("obj-115", store.Search(vectors[231], 1, SearchFilter.None)[0].ObjectId);
        }
    }

    [Fact]
    public void DamagedHeader_WrittenAgainFromSqlite_SameAnswers()
    {
        using var temp = new TempStore();
        var vectors = Vectors(72, 200);
        var queries = vectors.Where((_, i) => i % 9 == 0).ToList();
        List<string> before;
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 0, 100);
            Assert.True(store.RefreshWhitening(0));
            before = Answers(store, queries);
        }
        using (var stream = new FileStream(RowFile(temp), FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 24;   // the row count, under the header's checksum
            stream.WriteByte(0x7F);
        }
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Assert.Equal(new RowFileOpening(0, 200, 0, true, false), store.LastRowFileOpening);
            Assert.Equal(before, Answers(store, queries));
            Assert.False(File.Exists(RowFile(temp) + ".tmp"));
        }
        using (var store = temp.Open(compact: true, dim: Dim))
            Assert.Equal(new RowFileOpening(200, 0, 0, false, false), store.LastRowFileOpening);
    }

    [Fact]
    public void FileBehindSqlite_MissingRowsProjected_DeletedRowsWithoutTombstoneDropped()
    {
        using var temp = new TempStore();
        var vectors = Vectors(73, 240);
        string early = Path.Combine(temp.Directory, "early.rows");
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 0, 100);
            Assert.True(store.RefreshWhitening(0));
            Add(store, vectors, 100, 110);
        }
        File.Copy(RowFile(temp), early);
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 110, 120);
            Assert.True(store.Delete("obj-109"));   // rows the early copy holds, without their tombstones
        }
        // As if the process had died after SQLite's commits and before the rows and the tombstone reached the file.
        File.Copy(early, RowFile(temp), overwrite: true);
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Assert.Equal(new RowFileOpening(218, 20, 2, false, false), store.LastRowFileOpening);
            Assert.Equal(238, store.VectorCount);
            Assert.Equal("obj-115", store.Search(vectors[231], 1, SearchFilter.None)[0].ObjectId);
            Assert.NotEqual("obj-109", store.Search(vectors[218], 1, SearchFilter.None)[0].ObjectId);
        }
    }

    [Fact]
    public void RowidUsedAgainAfterADelete_TheNewPictureIsFound_NotTheDeletedOne()
    {
        using var temp = new TempStore();
        var vectors = Vectors(74, 220);
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 0, 100);
            Assert.True(store.RefreshWhitening(0));
            Assert.True(store.Delete("obj-099"));   // rowids 199 and 200, the highest
            Add(store, vectors, 100, 101);          // SQLite gives the new rows the same rowids
            Assert.Equal("obj-100", store.Search(vectors[200], 1, SearchFilter.None)[0].ObjectId);
        }
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Assert.Equal("obj-100", store.Search(vectors[200], 1, SearchFilter.None)[0].ObjectId);
            Assert.Equal(1f, store.Search(vectors[201], 1, SearchFilter.None)[0].Score, 1e-5f);
            Assert.NotEqual("obj-099", store.Search(vectors[198], 1, SearchFilter.None)[0].ObjectId);
        }
    }

    [Fact]
    public void ManyDeleted_CompactionWritesANewFileAndRenamesIt()
    {
        using var temp = new TempStore();
        var vectors = Vectors(75, 200);
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Add(store, vectors, 0, 100);
            Assert.True(store.RefreshWhitening(0));
            for (int o = 0; o < 40; o++)
                Assert.True(store.Delete($"obj-{o:D3}"));
            Assert.Equal("obj-050", store.Search(vectors[100], 1, SearchFilter.None)[0].ObjectId);
        }
        Assert.False(File.Exists(RowFile(temp) + ".tmp"));
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            var opening = store.LastRowFileOpening!.Value;
            Assert.Equal(120, opening.Reused);
            Assert.True(opening.Dead < 40, $"{opening.Dead} dead rows: the file was not compacted");
            Assert.Equal("obj-050", store.Search(vectors[100], 1, SearchFilter.None)[0].ObjectId);
        }
    }

    [Fact]
    public void SecondOpeningOfTheSameStore_RowFileHeld_RowsInMemory_SameAnswers()
    {
        using var temp = new TempStore();
        var vectors = Vectors(76, 200);
        var queries = vectors.Where((_, i) => i % 9 == 0).ToList();
        using var first = temp.Open(compact: true, dim: Dim);
        Add(first, vectors, 0, 100);
        Assert.True(first.RefreshWhitening(0));
        using var second = temp.Open(compact: true, dim: Dim);
        Assert.Null(second.LastRowFileOpening);
        Assert.True(second.EmbeddedIndex.RowBytes > 0);
        Assert.Equal(Answers(first, queries), Answers(second, queries));
    }

    [Fact]
    public void InvertedFile_SavedBesideTheRows_InstalledOnOpening_ThroughAddsAndACompaction()
    {
        using var temp = new TempStore();
        var vectors = Vectors(77, 2000);
        var queries = vectors.Where((_, i) => i % 37 == 0).ToList();
        var settings = new ArtMatch.Core.Configuration.EmbeddedIndexSettings { ApproximateAboveRows = 1000, Probes = 64 };
        SqliteCatalogStore Open() => SqliteCatalogStore.Open(temp.Directory, TempStore.Model, Dim, null, settings);
        int lists;
        using (var store = Open())
        {
            Add(store, vectors, 0, 600);
            Assert.True(store.RefreshWhitening(0));
            store.EmbeddedIndex.WaitForBackgroundWork();
            lists = store.EmbeddedIndex.IvfListCount;
            Assert.True(lists > 0);
            Add(store, vectors, 600, 700);   // 1,400 rows: not twice those learned from, so the lists stay
        }
        Assert.True(File.Exists(RowFile(temp) + ".ivf"));
        List<string> before;
        using (var store = Open())
        {
            Assert.True(store.LastRowFileOpening!.Value.Ivf);
            Assert.Equal(lists, store.EmbeddedIndex.IvfListCount);
            before = Answers(store, queries);
            Assert.Equal("obj-650", store.Search(vectors[1300], 1, SearchFilter.None)[0].ObjectId);
            for (int o = 0; o < 200; o++)
                Assert.True(store.Delete($"obj-{o:D3}"));   // more than a quarter: the rows move to a new file
            Assert.Equal("obj-650", store.Search(vectors[1300], 1, SearchFilter.None)[0].ObjectId);
        }
        using (var store = Open())
        {
            Assert.True(store.LastRowFileOpening!.Value.Ivf);
            Assert.Equal(lists, store.EmbeddedIndex.IvfListCount);
            Assert.Equal("obj-650", store.Search(vectors[1300], 1, SearchFilter.None)[0].ObjectId);
            var after = Answers(store, queries);
            for (int q = 0; q < queries.Count; q++)
            {
                string top = before[q].Split(' ')[0].Split(':')[0];
                if (string.CompareOrdinal(top, "obj-200") >= 0)
                    Assert.StartsWith(top + ":", after[q], StringComparison.Ordinal);   // kept objects found as before
            }
        }
    }
}
