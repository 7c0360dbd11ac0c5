using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

/// <summary>
/// A process killed with SIGKILL (<see cref="System.Diagnostics.Process.Kill()"/>) in the middle of writing
/// the row file (the migration of a store without one) or of a background build of the inverted file: the
/// store opens, answers as before, and the job is finished from where it stopped, not begun again.
/// The child is this test assembly run as a program (<see cref="Program"/>), stopped at a known point first.
/// </summary>
public class KillTests
{
    private const int Dim = 64;
    private const int Objects = 1500;   // 3,000 rows

    /// <summary>Rows around 40 random centres (noise of norm 0.6 on a centre), two per object; ListOrderTests uses them too.</summary>
    internal static List<float[]> Vectors(int seed)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, 40).Select(_ => TempStore.UnitVector(random, Dim)).ToList();
        return Enumerable.Range(0, 2 * Objects).Select(_ =>
        {
            var v = (float[])centres[random.Next(centres.Count)].Clone();
            TensorPrimitives.MultiplyAdd(TempStore.UnitVector(random, Dim), 0.6f, v, v);
            Pooling.L2Normalize(v);
            return v;
        }).ToList();
    }

    private static SqliteCatalogStore Open(TempStore temp, int approximateAboveRows = 1_000_000) =>
        SqliteCatalogStore.Open(temp.Directory, TempStore.Model, Dim, null, new EmbeddedIndexSettings { ApproximateAboveRows = approximateAboveRows, Probes = 64 });

    /// <summary>A whitened store of <see cref="Objects"/> objects, closed; its answers (top hit of every 25th stored vector).</summary>
    private static List<string> Build(TempStore temp, List<float[]> vectors)
    {
        using var store = Open(temp);
        for (int o = 0; o < Objects; o++)
            store.Upsert(TempStore.Record($"obj-{o:D4}"), [new NewImage(BitConverter.GetBytes(o), $"img-{o}", 10, 10, [vectors[2 * o], vectors[2 * o + 1]])]);
        Assert.True(store.RefreshWhitening(0));
        return Answers(store, vectors);
    }

    private static List<string> Answers(SqliteCatalogStore store, List<float[]> vectors) =>
        vectors.Where((_, i) => i % 25 == 0).Select(v => store.Search(v, 1, SearchFilter.None)[0].ObjectId).ToList();

    private static void Kill(System.Diagnostics.Process process)
    {
        process.Kill();   // SIGKILL on Linux
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(137, process.ExitCode);   // 128 + 9: killed by SIGKILL
        process.Dispose();
    }

    [Fact]
    public void Migration_KilledWhileWritingTheRowFile_StoreOpensAnswersTheSame_AndContinuesTheFile()
    {
        using var temp = new TempStore();
        var vectors = Vectors(80);
        var before = Build(temp, vectors);
        string rows = Path.Combine(temp.Directory, "vectors.rows");
        File.Delete(rows);   // as a store written before the row file: the next opening writes it

        Kill(Program.StartStopped("open", temp.Directory, $"{Dim}", "1000000", "16384", "rows", "1024"));
        Assert.False(File.Exists(rows));
        Assert.True(File.Exists(rows + ".tmp"));

        using (var store = Open(temp))
        {
            var opening = store.LastRowFileOpening!.Value;
            Assert.True(opening.Resumed, opening.ToString());
            Assert.Equal(1024, opening.Reused);
            Assert.Equal(2 * Objects - 1024, opening.Appended);
            Assert.Equal(before, Answers(store, vectors));
        }
        Assert.True(File.Exists(rows));
        Assert.False(File.Exists(rows + ".tmp"));
        using (var store = Open(temp))
            Assert.Equal(new RowFileOpening(2 * Objects, 0, 0, false, false), store.LastRowFileOpening);
    }

    [Fact]
    public void IvfBuild_KilledMidway_StoreOpensAnswersTheSame_BuildContinuesFromItsLastBlock_SavedForTheNextOpening()
    {
        using var temp = new TempStore();
        var vectors = Vectors(81);
        var before = Build(temp, vectors);
        string build = Path.Combine(temp.Directory, "vectors.rows.ivf.build");

        Kill(Program.StartStopped("open", temp.Directory, $"{Dim}", "2000", "512", "ivf", "1024"));
        Assert.True(File.Exists(build));
        Assert.False(File.Exists(Path.Combine(temp.Directory, "vectors.rows.ivf")));

        using (var store = Open(temp, approximateAboveRows: 2000))
        {
            Assert.Equal(before, Answers(store, vectors));   // the exact scan while the build goes on
            store.EmbeddedIndex.WaitForBackgroundWork();
            Assert.Null(store.EmbeddedIndex.BackgroundError);
            Assert.Equal(1024, store.EmbeddedIndex.IvfBuildResumedFrom);
            Assert.True(store.EmbeddedIndex.IvfListCount > 0);
            Assert.Equal(before, Answers(store, vectors));
        }
        Assert.False(File.Exists(build));
        using (var store = Open(temp, approximateAboveRows: 2000))
        {
            Assert.True(store.LastRowFileOpening!.Value.Ivf);
            Assert.True(store.EmbeddedIndex.IvfListCount > 0);
            Assert.Equal(before, Answers(store, vectors));
        }
    }
}
