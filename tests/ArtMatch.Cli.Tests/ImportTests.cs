using System.Diagnostics;
using ArtMatch.TestSupport;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Cli.Tests;

public class ImportTests
{
    [Fact]
    public void Import_Twice_SecondRunChangesNothing()
    {
        using var dir = new TempDir();
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(6));
        var store = dir.File("store");

        var first = CliRunner.Run("import", "--store", store, "--catalog", csv, "--json");
        var second = CliRunner.Run("import", "--store", store, "--catalog", csv, "--json");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(6, first.Json.GetProperty("objects_created").GetInt32());
        Assert.Equal(6, first.Json.GetProperty("images_added").GetInt32());
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(0, second.Json.GetProperty("objects_created").GetInt32());
        Assert.Equal(0, second.Json.GetProperty("objects_updated").GetInt32());
        Assert.Equal(6, second.Json.GetProperty("objects_unchanged").GetInt32());
        Assert.Equal(0, second.Json.GetProperty("images_added").GetInt32());
    }

    [Fact]
    public void Whiten_CatalogueTooSmall_SaysHowManyVectorsItNeedsAndExits3()
    {
        using var dir = new TempDir();
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(3));
        var store = dir.File("store");
        var import = CliRunner.Run("import", "--store", store, "--catalog", csv, "--json");

        var result = CliRunner.Run("whiten", "--store", store, "--json");

        Assert.False(import.Json.GetProperty("whitening_learned").GetBoolean());
        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Json.GetProperty("learned").GetBoolean());
        Assert.Equal(2 * 1280, result.Json.GetProperty("minimum_vectors").GetInt32());
        Assert.InRange(result.Json.GetProperty("vectors").GetInt32(), 3, 2 * 1280 - 1);
    }

    [Fact]
    public void Import_BadRowsAndUnreadableImage_AreReportedByLineAndSkipped()
    {
        using var dir = new TempDir();
        var broken = dir.File("broken.jpg");
        File.WriteAllBytes(broken, File.ReadAllBytes(CatalogueFixture.DevObjects(1)[0].Image)[..2000]);
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(2),
            $"BROKEN,{broken},t,TEST,stolen,m\n,nothing.jpg,t,TEST,stolen,m\nBADSTATUS,{broken},t,TEST,borrowed,m\nMISSINGFILE,{dir.File("absent.jpg")},t,TEST,stolen,m\n");

        var result = CliRunner.Run("import", "--store", dir.File("store"), "--catalog", csv, "--json");

        Assert.Equal(3, result.ExitCode);
        var failures = result.Json.GetProperty("failures").EnumerateArray().ToList();
        Assert.Equal([4, 5, 6, 7], failures.Select(f => f.GetProperty("line").GetInt32()));
        Assert.Contains("absent.jpg", failures[3].GetProperty("message").GetString());
        Assert.Equal(2, result.Json.GetProperty("objects_created").GetInt32());
    }

    [Fact]
    public void Import_KilledMidway_StoreHoldsOnlyWholeObjects()
    {
        using var dir = new TempDir();
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(200));
        var store = dir.File("store");
        var db = Path.Combine(store, "catalog.db");

        using (var process = Process.Start(CliRunner.StartInfo("import", "--store", store, "--catalog", csv))!)
        {
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            // Kill once a few objects are in: mid-way, while other objects are being embedded or written.
            var deadline = DateTime.UtcNow.AddMinutes(15);
            while (CountObjects(db) < 5 && !process.HasExited && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Assert.False(process.HasExited, "import finished before it could be killed");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        int objects = CountObjects(db);
        Assert.InRange(objects, 5, 199);
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        // Every stored object has at least one image, and every image has its vectors.
        command.CommandText = """
            SELECT (SELECT COUNT(*) FROM objects o WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.object_id = o.object_id))
                 + (SELECT COUNT(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.image_id = i.image_id))
            """;
        Assert.Equal(0L, (long)command.ExecuteScalar()!);

        // And the store opens and resumes: a second import completes the catalogue.
        var resumed = CliRunner.Run("import", "--store", store, "--catalog", csv, "--json");
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(objects, resumed.Json.GetProperty("objects_unchanged").GetInt32());
        Assert.Equal(200, CountObjects(db));
    }

    private static int CountObjects(string db)
    {
        if (!File.Exists(db))
            return 0;
        try
        {
            using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM objects";
            return (int)(long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0;
        }
    }
}
