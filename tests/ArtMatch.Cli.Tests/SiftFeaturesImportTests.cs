using System.Diagnostics;
using ArtMatch.Core.Sift;
using ArtMatch.TestSupport;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Cli.Tests;

/// <summary>
/// SIFT features for the "possible" check (match.sift_evidence) stored at import, with the SIFT search off:
/// a store written without them is filled from its stored bytes, one image per transaction, so a kill
/// midway leaves whole rows and the next import does the rest.
/// </summary>
public sealed class SiftFeaturesImportTests
{
    private const int Objects = 40;

    [Fact]
    public void Import_EvidenceOn_StoreWithoutSiftFeatures_KilledMidBackfill_WholeRowsKept_NextImportFillsTheRest()
    {
        using var dir = new TempDir();
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(Objects));
        var store = dir.File("store");
        var db = Path.Combine(store, "catalog.db");
        var config = dir.File("evidence.json");
        File.WriteAllText(config, """{"match":{"sift_evidence":{"floor":4}}}""");

        // A store written without them: the default config has neither the SIFT search nor the check.
        Assert.Equal(0, CliRunner.Run("import", "--store", store, "--catalog", csv, "--json").ExitCode);
        Assert.Equal(0, Count(db, "SELECT COUNT(*) FROM sift_features"));

        var kept = KillMidBackfill(store, csv, config, db);

        // Every row left is whole: it decodes, and holds the features of one picture.
        foreach (var (imageId, data) in kept)
        {
            var features = FeatureSetCodec.FromBytes(data);
            Assert.True(features.Count > 0 && features.Count <= 1000, $"image {imageId}: {features.Count} features");
        }

        var resumed = CliRunner.Run("import", "--store", store, "--catalog", csv, "--config", config, "--json");
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(Objects - kept.Count, resumed.Json.GetProperty("sift_backfilled").GetInt32());
        Assert.False(resumed.Json.GetProperty("sift_vocabulary_learned").GetBoolean());
        Assert.Equal(Objects, Count(db, "SELECT COUNT(*) FROM sift_features"));
        Assert.Equal(0, Count(db, "SELECT COUNT(*) FROM sift_vocabulary"));
        // The rows written before the kill are the ones kept: the resumed run did not redo them.
        var after = Rows(db);
        foreach (var (imageId, data) in kept)
            Assert.Equal(data, after[imageId]);
    }

    /// <summary>
    /// Runs the import that backfills the features and kills it once some rows are in; a run that ended
    /// before it could be killed proves nothing and is made again on a store emptied of them.
    /// </summary>
    private static Dictionary<string, byte[]> KillMidBackfill(string store, string csv, string config, string db)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            using var process = Process.Start(CliRunner.StartInfo("import", "--store", store, "--catalog", csv, "--config", config))!;
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            while (Count(db, "SELECT COUNT(*) FROM sift_features") < 3 && !process.HasExited)
                Thread.Sleep(10);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                var rows = Rows(db);
                if (rows.Count < Objects)
                    return rows;
            }
            process.WaitForExit();
            Execute(db, "DELETE FROM sift_features");
        }
        throw new Xunit.Sdk.XunitException("The backfill ended before it could be killed in 5 tries: nothing shown about a kill midway.");
    }

    private static Dictionary<string, byte[]> Rows(string db)
    {
        using var connection = Open(db);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT image_id, data FROM sift_features";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (reader.Read())
            rows[reader.GetString(0)] = (byte[])reader.GetValue(1);
        return rows;
    }

    private static int Count(string db, string sql)
    {
        if (!File.Exists(db))
            return 0;
        try
        {
            using var connection = Open(db);
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (int)(long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            // The store's file exists before its schema does (the import is still opening it).
            return 0;
        }
    }

    private static void Execute(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteConnection Open(string db)
    {
        var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }
}
