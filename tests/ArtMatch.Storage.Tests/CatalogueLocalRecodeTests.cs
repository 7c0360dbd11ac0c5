using ArtMatch.Core.Catalog;
using ArtMatch.Core.Matching.Stages;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Tests;

/// <summary>
/// A store of schema 8 (local features as float32, about 420 KB a picture) opened by this version: its rows are
/// read as they are, listed on opening, and re-encoded compact by <see cref="SqliteCatalogStore.RecodeCatalogueLocal"/>;
/// a process killed with SIGKILL inside a batch leaves a store that opens and finishes the job.
/// </summary>
public class CatalogueLocalRecodeTests
{
    private const int Dim = 8;
    private const int Pictures = 100;   // batches of 32: 32, 32, 32, 4

    /// <summary>A closed store of <see cref="Pictures"/> objects whose local features are stored as schema 8 did; their features by image id (owners in <paramref name="owners"/>).</summary>
    private static Dictionary<string, CatalogueLocal> BuildVersion8(TempStore temp, List<string>? owners = null)
    {
        var random = new Random(11);
        var locals = new Dictionary<string, CatalogueLocal>();
        using (var store = temp.Open(dim: Dim))
        {
            for (int o = 0; o < Pictures; o++)
            {
                var local = CatalogueLocalStoreTests.Relu(100 + o, grid: 3, dimension: 48);
                var image = TempStore.Image(random, $"img-{o}", dim: Dim);
                store.Upsert(TempStore.Record($"obj-{o:D3}"), [new NewImage(image.Encoded, image.Label, image.Width, image.Height, image.Vectors) { Local = local }]);
                locals[image.ImageId] = local;
                owners?.Add(image.ImageId);
            }
        }
        using var db = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False");
        db.Open();
        foreach (var (imageId, local) in locals)
            Execute(db, "UPDATE catalogue_local SET data = $data WHERE image_id = $id", ("$data", CatalogueLocalCodec.ToBytes(local, CatalogueLocalEncoding.Float32)), ("$id", imageId));
        Execute(db, "DROP TABLE catalogue_local_recode; PRAGMA user_version = 8;");
        return locals;
    }

    private static void Execute(SqliteConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }

    /// <summary>How many rows are stored compact, read from the blobs themselves.</summary>
    private static int CompactRows(TempStore temp)
    {
        using var db = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT data FROM catalogue_local";
        using var reader = command.ExecuteReader();
        int compact = 0;
        while (reader.Read())
            compact += CatalogueLocalCodec.IsCompact((byte[])reader[0]) ? 1 : 0;
        return compact;
    }

    [Fact]
    public void Open_Version8Store_ReadsFloat32RowsExactly_ListsThem_RecodeMakesThemCompactAndClose()
    {
        using var temp = new TempStore();
        var locals = BuildVersion8(temp);

        using (var store = temp.Open(dim: Dim))
        {
            Assert.Equal(Pictures, store.CatalogueLocalToRecode());
            foreach (var (imageId, local) in locals)
                Assert.Equal(local.Features.Vectors, store.GetCatalogueLocal(imageId)!.Features.Vectors);
            long bytesBefore = SumOfBlobs(temp);

            Assert.Equal(Pictures, store.RecodeCatalogueLocal());

            Assert.Equal(0, store.CatalogueLocalToRecode());
            Assert.Equal(0, store.RecodeCatalogueLocal());
            foreach (var (imageId, local) in locals)
                CatalogueLocalStoreTests.AssertWithinCodes(local, store.GetCatalogueLocal(imageId)!);
            Assert.InRange(SumOfBlobs(temp), 1, bytesBefore / 2);
        }
        Assert.Equal(Pictures, CompactRows(temp));
        using var check = temp.Raw();
        Assert.Equal(9L, check.Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void Recode_RowReplacedOrDeletedMeanwhile_KeepsWhatTheWriterWrote()
    {
        using var temp = new TempStore();
        var ids = new List<string>();   // the image of obj-000, obj-001, ...
        BuildVersion8(temp, ids);
        using var store = temp.Open(dim: Dim);
        var replacement = CatalogueLocalStoreTests.Relu(999, grid: 2, dimension: 48);
        Assert.True(store.SetCatalogueLocal(ids[0], replacement));
        Assert.True(store.Delete("obj-001"));

        Assert.Equal(Pictures - 2, store.RecodeCatalogueLocal());

        Assert.Equal(0, store.CatalogueLocalToRecode());
        CatalogueLocalStoreTests.AssertWithinCodes(replacement, store.GetCatalogueLocal(ids[0])!);
        Assert.Null(store.GetCatalogueLocal(ids[1]));
    }

    [Fact]
    public void Recode_KilledInsideABatch_StoreOpensWithWholeBatchesDone_ReadsEveryRow_AndFinishes()
    {
        using var temp = new TempStore();
        var locals = BuildVersion8(temp);

        // The second batch's transaction is open when the child is killed: the first batch stays, the second goes.
        var child = Program.StartStopped("recode", temp.Directory, $"{Dim}", "64");
        child.Kill();   // SIGKILL on Linux
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(137, child.ExitCode);
        child.Dispose();

        Assert.Equal(32, CompactRows(temp));
        using (var store = temp.Open(dim: Dim))
        {
            Assert.Equal(Pictures - 32, store.CatalogueLocalToRecode());
            foreach (var (imageId, local) in locals)
                CatalogueLocalStoreTests.AssertWithinCodes(local, store.GetCatalogueLocal(imageId)!);
            Assert.Equal(Pictures - 32, store.RecodeCatalogueLocal());
            Assert.Equal(0, store.CatalogueLocalToRecode());
        }
        Assert.Equal(Pictures, CompactRows(temp));
    }

    private static long SumOfBlobs(TempStore temp)
    {
        using var raw = temp.Raw();
        return (long)raw.Scalar("SELECT SUM(length(data)) FROM catalogue_local")!;
    }
}
