using System.Globalization;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;
using ArtMatch.Storage;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Benchmarks;

/// <summary>
/// <c>store-memory [--store DIR] [--json]</c>: memory per catalogue picture once a store is open, as the
/// server holds it. Resident set and managed heap (after full collections) are read with the engine
/// created (model loaded), after the store is opened (vectors and keypoint sets loaded), and after the
/// first keypoint search (which builds the keypoint index's flat copy and hash tables); the differences
/// are divided by the store's pictures. Beside them, what the parts take by their sizes: the vector
/// index's rows, and the keypoints stored (count per picture, bytes on disk).
/// </summary>
internal static class StoreMemory
{
    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine("""
                store-memory [--store DIR] [--rows-in-memory] [--json]
                  Opens the store (default benchmarks/.fixtures/dev-store, the dev catalogue imported once) as the
                  server does and reports memory per catalogue picture: resident and managed growth on opening and
                  after the first keypoint search, the vector rows' bytes (managed, and the memory-mapped row file
                  DIR/vectors.rows), and the keypoints per picture. --rows-in-memory: the compact rows projected
                  into the managed heap on opening (index.embedded.map_rows false), as before the row file.
                """);
            return 0;
        }
        int at = Array.IndexOf(args, "--store");
        string dir = at >= 0 && at + 1 < args.Length ? args[at + 1] : Path.Combine(Fixtures.Root, "benchmarks", ".fixtures", "dev-store");
        if (!File.Exists(Path.Combine(dir, "catalog.db")))
            ScaleCatalogue.Load(Console.Error);   // imports the dev catalogue into the default fixture store

        var config = new ArtMatch.Core.Configuration.ArtMatchConfig();
        config = config with { Index = config.Index with { Embedded = config.Index.Embedded with { MapRows = !args.Contains("--rows-in-memory") } } };
        using var engine = ArtMatch.Server.Hosting.ArtMatchEngine.Create(config);
        var (rss0, heap0) = Memory();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        engine.OpenStore(dir);
        var store = (SqliteCatalogStore)engine.RequireStore();
        double openSeconds = clock.Elapsed.TotalSeconds;
        var (rss1, heap1) = Memory();
        store.SearchKeypoints(KeypointSet.Empty(1, 1), 1, 1, SearchFilter.None);
        var (rss2, heap2) = Memory();

        var (pictures, keypoints, keypointDiskBytes) = Counts(Path.Combine(dir, "catalog.db"));
        long rowBytes = store.EmbeddedIndex.RowBytes;
        double Kb(double bytes) => Math.Round(bytes / 1024.0 / Math.Max(1, pictures), 1);
        var result = new Dictionary<string, object>
        {
            ["store"] = dir,
            ["pictures"] = pictures,
            ["rss_open_kb_per_picture"] = Kb(rss1 - rss0),
            ["rss_kb_per_picture"] = Kb(rss2 - rss0),
            ["managed_open_kb_per_picture"] = Kb(heap1 - heap0),
            ["managed_kb_per_picture"] = Kb(heap2 - heap0),
            ["vector_rows_kb_per_picture"] = Kb(rowBytes),
            ["row_file_bytes"] = store.EmbeddedIndex.DiskBytes,
            ["row_file_opening"] = store.LastRowFileOpening?.ToString() ?? "none",
            ["open_s"] = Math.Round(openSeconds, 2),
            ["keypoints_per_picture"] = Math.Round(keypoints / (double)Math.Max(1, pictures)),
            ["keypoint_disk_kb_per_picture"] = Kb(keypointDiskBytes),
            ["index"] = store.EmbeddedIndex.Describe(),
            ["load"] = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)),
        };
        if (args.Contains("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            foreach (var (key, value) in result)
                Console.WriteLine($"{key,-30} {value}");
        }
        return 0;
    }

    /// <summary>Pictures (stored images), keypoints and the keypoint blobs' bytes, read from the store's SQLite file.</summary>
    private static (long Pictures, long Keypoints, long Bytes) Counts(string db)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        // A keypoint blob: a 13-byte header, then 48 bytes a keypoint (KeypointSet.ToBytes).
        command.CommandText = "SELECT (SELECT COUNT(*) FROM images), COALESCE(SUM((length(data) - 13) / 48), 0), COALESCE(SUM(length(data)), 0) FROM keypoints";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Resident set and managed heap in bytes, after full collections.</summary>
    private static (double Rss, double Heap) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        double rss = Environment.WorkingSet;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024.0;
        }
        return (rss, GC.GetTotalMemory(false));
    }
}
