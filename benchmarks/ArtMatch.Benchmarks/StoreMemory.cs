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
                store-memory [--store DIR] [--rows-in-memory] [--keypoints-in-memory] [--queries N] [--json]
                  Opens the store (default benchmarks/.fixtures/dev-store, the dev catalogue imported once) as the
                  server does and reports memory per catalogue picture: resident and managed growth on opening,
                  after the first keypoint search and after N keypoint searches (default 20; each with 1,000 of a
                  stored picture's own keypoints, so the keypoint file's pages they touch are counted), the vector
                  rows' bytes (managed, and the memory-mapped row file DIR/vectors.rows), and the keypoints per
                  picture. With the keypoints on disk (the default) and no keypoints.idx yet, the store is opened
                  once first to write it (keypoint_file_build_s) and the figures are those of the second opening,
                  as a server restart sees it.
                  --rows-in-memory: the compact rows projected into the managed heap on opening
                  (index.embedded.map_rows false), as before the row file.
                  --keypoints-in-memory: index.embedded.keypoints_on_disk false (all keypoints on the heap).
                """);
            return 0;
        }
        int at = Array.IndexOf(args, "--store");
        string dir = at >= 0 && at + 1 < args.Length ? args[at + 1] : Path.Combine(Fixtures.Root, "benchmarks", ".fixtures", "dev-store");
        if (!File.Exists(Path.Combine(dir, "catalog.db")))
            ScaleCatalogue.Load(Console.Error);   // imports the dev catalogue into the default fixture store

        bool onDisk = !args.Contains("--keypoints-in-memory");
        int q = Array.IndexOf(args, "--queries");
        int queryCount = q >= 0 && q + 1 < args.Length ? int.Parse(args[q + 1], CultureInfo.InvariantCulture) : 20;
        var config = new ArtMatch.Core.Configuration.ArtMatchConfig();
        config = config with
        {
            Index = config.Index with { Embedded = config.Index.Embedded with { MapRows = !args.Contains("--rows-in-memory"), KeypointsOnDisk = onDisk } },
        };
        double? buildSeconds = null;
        var keypointFile = Path.Combine(dir, SqliteCatalogStore.KeypointFileName);
        if (onDisk && !File.Exists(keypointFile))
        {
            var build = System.Diagnostics.Stopwatch.StartNew();
            using (ArtMatch.Server.Hosting.ArtMatchEngine.Create(config).OpenStore(dir))
                buildSeconds = Math.Round(build.Elapsed.TotalSeconds, 1);
        }
        var queries = QueryKeypoints(Path.Combine(dir, "catalog.db"), queryCount);

        using var engine = ArtMatch.Server.Hosting.ArtMatchEngine.Create(config);
        var (rss0, heap0) = Memory();
        var (anon0, file0) = ResidentParts();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        engine.OpenStore(dir);
        var store = (SqliteCatalogStore)engine.RequireStore();
        double openSeconds = clock.Elapsed.TotalSeconds;
        var (rss1, heap1) = Memory();
        store.SearchKeypoints(KeypointSet.Empty(1, 1), 1, 1, SearchFilter.None);
        var (rss2, heap2) = Memory();
        var searchClock = System.Diagnostics.Stopwatch.StartNew();
        int found = queries.Count(query => store.SearchKeypoints(query, 12, 1, SearchFilter.None).Count > 0);
        double searchMs = searchClock.Elapsed.TotalMilliseconds / Math.Max(1, queries.Count);
        var (rss3, heap3) = Memory();
        var (anon3, file3) = ResidentParts();
        var state = store.KeypointState;

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
            ["rss_after_queries_kb_per_picture"] = Kb(rss3 - rss0),
            ["managed_after_queries_kb_per_picture"] = Kb(heap3 - heap0),
            // Of the resident growth after the searches: anonymous memory (heaps) and mapped file pages
            // (the keypoint file's pages the searches touched: clean page cache the kernel may drop).
            ["rss_anon_after_queries_kb_per_picture"] = Kb(anon3 - anon0),
            ["rss_file_after_queries_kb_per_picture"] = Kb(file3 - file0),
            ["queries"] = queries.Count,
            ["queries_found"] = found,
            ["keypoint_search_ms"] = Math.Round(searchMs, 1),
            ["keypoints_on_disk"] = onDisk,
            ["keypoint_file_kb_per_picture"] = onDisk && File.Exists(keypointFile) ? Kb(new FileInfo(keypointFile).Length) : 0,
            ["keypoint_file_build_s"] = buildSeconds is null ? "" : buildSeconds.Value,
            ["keypoint_state"] = $"{state.LiveFileImages} of {state.FileImages} file pictures live, {state.MemoryImages} in memory",
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

    /// <summary>
    /// Photo keypoints for the searches after opening: 1,000 of each of <paramref name="count"/> stored
    /// pictures (spread over the store), read before the store is opened so that they are not counted.
    /// </summary>
    private static List<KeypointSet> QueryKeypoints(string db, int count)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM keypoints ORDER BY object_id, image_id";
        using var reader = command.ExecuteReader();
        var all = new List<byte[]>();
        while (reader.Read())
            all.Add((byte[])reader.GetValue(0));
        var queries = new List<KeypointSet>();
        for (int i = 0; i < count && all.Count > 0; i++)
        {
            var set = KeypointSet.FromBytes(all[(int)((long)i * all.Count / count)]);
            int n = Math.Min(1000, set.Count);
            queries.Add(new KeypointSet(set.Width, set.Height, set.Points[..n], set.Descriptors[..(n * KeypointSet.DescriptorWords)]));
        }
        return queries;
    }

    /// <summary>The resident set's anonymous and file-backed parts in bytes (RssAnon, RssFile of /proc/self/status).</summary>
    private static (double Anon, double File) ResidentParts()
    {
        double anon = 0, file = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                anon = long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024.0;
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                file = long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024.0;
        }
        return (anon, file);
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
