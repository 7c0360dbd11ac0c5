using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Benchmarks;

/// <summary>
/// <c>scale --pictures N [--queries Q] [--recall-queries R] [--json]</c>: builds the embedded vector index
/// with N pictures of <see cref="ScaleCatalogue"/> through <see cref="EmbeddedVectorIndex.Upsert"/> (one
/// object per picture; the real pictures first, then the ranking learned from them as
/// <c>whiten</c> does, then the rest), and reports build time, resident memory after building and after
/// the queries, single-query search latency on 1 and 2 threads (k = 10, every row searched), and
/// recall@10 of objects against an exact float search over the same rows in the index's ranking space.
/// </summary>
internal static class Scale
{
    private const int K = 10;
    private const float QueryNoise = 0.5f;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine("""
                scale --pictures N [--queries Q] [--recall-queries R] [--probes P] [--probed-share S] [--approximate-above ROWS] [--float-rows] [--rows-in-memory]
                      [--incremental] [--project-rows] [--dir DIR [--reopen]] [--export DIR] [--json]
                  Builds the embedded vector index with N pictures (the dev catalogue's real vectors, then
                  synthetic pictures mixed from them) and reports build_s, disk_bytes, rss_open_mb,
                  rss_after_queries_mb, search_p50_ms/search_p99_ms (2 threads; _1t: one thread) and
                  recall_at_10 against an exact float search. Q queries are timed (default 1000), the
                  first R of them (default 200) checked against the exact search. --probes, --probed-share and
                  --approximate-above set index.embedded's Probes, ProbedListShare and ApproximateAboveRows (the
                  probe sweep scans exactly the lists it names); --float-rows
                  keeps the float rows and their whitened copy (index.embedded.compact false). The compact rows go to
                  a memory-mapped file DIR/vectors.rows (default a new temporary directory, deleted at the end) and the index is closed and opened again from its files before rss_open_mb and the
                  queries (rss_built_mb: after building); --rows-in-memory keeps them in the managed heap. --export DIR
                  writes the ranked rows, queries and exact answers for benchmarks/ann_peers.py (FAISS, hnswlib).
                  The synthetic pictures are added as a bulk load (the inverted file learned once at the end);
                  --incremental: one by one, the inverted file learned again as the rows double. Their rows are made
                  in the ranking space directly (the projection is linear); --project-rows: made in the model's space
                  and projected by the index, as an import does. With --dir the exact answers are kept in
                  DIR/scale-truth.json; --reopen measures the store left there by such a run (same N) without building.
                """);
            return 0;
        }
        int pictures = IntOption(args, "--pictures", 2000);
        int queries = IntOption(args, "--queries", 1000);
        int recallQueries = Math.Min(queries, IntOption(args, "--recall-queries", 200));
        bool json = args.Contains("--json");
        int exportAt = Array.IndexOf(args, "--export");
        using var export = exportAt >= 0 && exportAt + 1 < args.Length ? new ScaleExport(args[exportAt + 1]) : null;
        var log = Console.Error;

        var catalogue = ScaleCatalogue.Load(log);
        string load = Load();
        var defaults = new EmbeddedIndexSettings();
        var settings = new EmbeddedIndexSettings
        {
            Compact = !args.Contains("--float-rows"),
            Probes = IntOption(args, "--probes", defaults.Probes),
            ProbedListShare = DoubleOption(args, "--probed-share", defaults.ProbedListShare),
            ApproximateAboveRows = IntOption(args, "--approximate-above", defaults.ApproximateAboveRows),
        };
        // The rows in a memory-mapped file (index.embedded.map_rows, the product's default), measured after
        // closing the index and opening it again from its files; --rows-in-memory: managed rows, measured as built.
        bool mapped = settings.Compact && !args.Contains("--rows-in-memory");
        int dirAt = Array.IndexOf(args, "--dir");
        string rowDir = dirAt >= 0 && dirAt + 1 < args.Length ? args[dirAt + 1] : Directory.CreateTempSubdirectory("artmatch-scale-").FullName;
        Directory.CreateDirectory(rowDir);
        string? rowFile = mapped ? Path.Combine(rowDir, "vectors.rows") : null;
        var built = new EmbeddedVectorIndex(catalogue.Dimension, settings) { RowFilePath = rowFile };
        var arrivals = new List<(long FirstKey, int Picture, int Rows)>();
        var queryVectors = Enumerable.Range(0, queries).Select(q => catalogue.Query(q, pictures, QueryNoise, out _)).ToList();
        var reference = new ExactReference(queryVectors.Take(recallQueries).ToList(), K);
        var options = new ScaleBuild.Options(!args.Contains("--incremental"), args.Contains("--project-rows"));
        string truthFile = Path.Combine(rowDir, "scale-truth.json");
        bool reopenOnly = args.Contains("--reopen");
        long rows;
        double addSeconds = 0, buildSeconds = 0, rssBuilt = 0;
        List<HashSet<string>> truth;
        Core.Embedding.Whitening whitening;
        if (reopenOnly)
        {
            // A store built by an earlier run with --dir: the same pictures, keys and exact answers, not built again.
            if (rowFile is null || !File.Exists(truthFile))
                throw new InvalidOperationException($"--reopen needs --dir with a row file and {truthFile} from an earlier run.");
            built.Dispose();
            whitening = ScaleBuild.Whitening(catalogue, settings);
            rows = ScaleBuild.Arrivals(catalogue, pictures, arrivals);
            truth = ScaleBuild.ReadTruth(truthFile, pictures, recallQueries);
        }
        else
        {
            var clock = Stopwatch.StartNew();
            rows = ScaleBuild.Build(built, catalogue, pictures, reference, export, arrivals, options, log);
            addSeconds = clock.Elapsed.TotalSeconds - reference.Seconds;
            built.WaitForBackgroundWork();
            if (built.BackgroundError is { } error)
                throw new InvalidOperationException("The background build of the inverted file failed.", error);
            buildSeconds = clock.Elapsed.TotalSeconds - reference.Seconds;
            rssBuilt = RssMb();
            log.WriteLine($"scale: built {pictures} pictures, {rows} rows in {buildSeconds:F1} s (adding {addSeconds:F1} s); rss {rssBuilt:F0} MB; {built.Describe()}");
            truth = reference.Truth(ObjectId);
            log.WriteLine($"scale: exact float search for {recallQueries} queries took {reference.Seconds:F1} s of the build (left out of build_s)");
            whitening = built.Whitening!;
            if (rowFile is not null)
            {
                ScaleBuild.WriteTruth(truthFile, pictures, truth);
                built.Dispose();   // saves the inverted file beside the rows
                built = null!;
            }
        }
        double openSeconds = 0;
        string opening = "";
        var index = built;
        if (rowFile is not null)
        {
            RssMb();
            var started = Stopwatch.StartNew();
            (index, opening) = Reopen(catalogue.Dimension, settings, rowFile, whitening, arrivals, pictures);
            openSeconds = started.Elapsed.TotalSeconds;
            log.WriteLine($"scale: opened again from {rowFile} in {openSeconds:F1} s: {opening}; {index.Describe()}");
        }
        double rssOpen = RssMb();
        var (anonOpen, fileOpen) = RssParts();

        var timing = new Dictionary<int, (double P50, double P99, List<IReadOnlyList<VectorHit>> Hits)>();
        foreach (int threads in new[] { 1, 2 })
        {
            index.SetSearchThreads(threads);
            var times = new List<double>(queries);
            var hits = new List<IReadOnlyList<VectorHit>>(queries);
            foreach (var query in queryVectors)
            {
                long started = Stopwatch.GetTimestamp();
                hits.Add(index.Search(query, K, SearchFilter.None));
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            times.Sort();
            timing[threads] = (Percentile(times, 0.5), Percentile(times, 0.99), hits);
        }
        double rssAfter = RssMb();
        var (anonAfter, fileAfter) = RssParts();
        double Recall(List<IReadOnlyList<VectorHit>> hits) => Enumerable.Range(0, recallQueries)
            .Average(q => hits[q].Count(h => truth[q].Contains(h.ObjectId)) / (double)Math.Min(K, truth[q].Count));
        double recall = Recall(timing[2].Hits);

        // With an inverted file: recall and latency (2 threads, the recall queries) as the probes change.
        var sweep = new List<object>();
        if (index.Describe().Contains("inverted file", StringComparison.Ordinal))
        {
            foreach (int probes in new[] { 16, 32, 64, 96, 128, 192, 256 })
            {
                index.SetProbes(probes, share: 0);
                var times = new List<double>();
                var hits = new List<IReadOnlyList<VectorHit>>();
                foreach (var query in queryVectors.Take(recallQueries))
                {
                    long started = Stopwatch.GetTimestamp();
                    hits.Add(index.Search(query, K, SearchFilter.None));
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                times.Sort();
                sweep.Add(new { probes, recall_at_10 = Math.Round(Recall(hits), 4), p50_ms = Math.Round(Percentile(times, 0.5), 2), p99_ms = Math.Round(Percentile(times, 0.99), 2) });
                log.WriteLine($"scale: {probes} probes: {sweep[^1]}");
            }
            index.SetProbes(settings.Probes, settings.ProbedListShare);
        }
        index.SetSearchThreads(settings.ThreadsPerSearch());

        var result = new Dictionary<string, object>
        {
            ["pictures"] = pictures,
            ["rows"] = rows,
            ["build_s"] = Math.Round(buildSeconds, 1),
            ["add_s"] = Math.Round(addSeconds, 1),
            ["disk_bytes"] = index.DiskBytes,
            ["rss_built_mb"] = Math.Round(rssBuilt),
            ["rss_open_mb"] = Math.Round(rssOpen),
            ["open_s"] = Math.Round(openSeconds, 1),
            ["opening"] = opening,
            ["row_file"] = rowFile ?? "",
            ["rss_after_queries_mb"] = Math.Round(rssAfter),
            // Resident anonymous memory (the heap) and file pages (the mapped row file: clean, given back under memory pressure).
            ["rss_anon_open_mb"] = Math.Round(anonOpen),
            ["rss_file_open_mb"] = Math.Round(fileOpen),
            ["rss_anon_after_queries_mb"] = Math.Round(anonAfter),
            ["rss_file_after_queries_mb"] = Math.Round(fileAfter),
            ["managed_heap_mb"] = Math.Round(GC.GetTotalMemory(false) / 1048576.0),
            ["search_p50_ms"] = Math.Round(timing[2].P50, 2),
            ["search_p99_ms"] = Math.Round(timing[2].P99, 2),
            ["search_p50_ms_1t"] = Math.Round(timing[1].P50, 2),
            ["search_p99_ms_1t"] = Math.Round(timing[1].P99, 2),
            ["recall_at_10"] = Math.Round(recall, 4),
            ["probed_lists"] = index.ProbedLists,
            ["queries"] = queries,
            ["recall_queries"] = recallQueries,
            ["real_pictures"] = Math.Min(pictures, catalogue.RealPictures),
            ["index"] = index.Describe(),
            ["load"] = load,
            ["build"] = reopenOnly ? "reopened (built by an earlier run)" : options.Describe(),
            ["load_end"] = Load(),
            ["probe_sweep"] = sweep,
        };
        export?.Finish(index.RankRows(queryVectors), truth.Take(recallQueries).ToList(), K, pictures, index.IvfListCount, index.ProbedLists, result);
        index.Dispose();
        if (dirAt < 0)
            Directory.Delete(rowDir, recursive: true);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            foreach (var (key, value) in result)
                Console.WriteLine($"{key,-22} {value}");
        }
        return 0;
    }

    /// <summary>
    /// The index opened again from its files, as a store opens it: objects set, the row file matched with the
    /// rows added (their keys, in order), the inverted file saved beside it installed; returns what opening found.
    /// </summary>
    private static (EmbeddedVectorIndex Index, string Opening) Reopen(int dimension, EmbeddedIndexSettings settings, string rowFile,
        Core.Embedding.Whitening whitening, List<(long FirstKey, int Picture, int Rows)> arrivals, int pictures)
    {
        var index = new EmbeddedVectorIndex(dimension, settings) { RowFilePath = rowFile };
        var rows = new VectorIndex(dimension);
        for (int p = 0; p < pictures; p++)
            rows.SetObject(new IndexedObject(ObjectId(p), null, null, ObjectStatus.Stolen, null));
        var stored = arrivals.OrderBy(a => a.FirstKey)
            .SelectMany(a => Enumerable.Range(0, a.Rows).Select(r => new StoredRow(a.FirstKey + r, ObjectId(a.Picture), "i" + a.Picture, r)));
        var opening = rows.OpenRows(whitening, rowFile, stored, _ => throw new InvalidOperationException("The row file lacks rows the benchmark added."))
            ?? throw new InvalidOperationException($"The row file {rowFile} is held by another process.");
        index.Replace(rows);
        index.WaitForBackgroundWork();
        return (index, opening.ToString());
    }

    internal static string ObjectId(int picture) => "p" + picture.ToString(CultureInfo.InvariantCulture);

    private static int IntOption(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static double DoubleOption(string[] args, string name, double fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Resident set from /proc/self/status (after a full aggressive collection, so garbage does not count).</summary>
    /// <summary>RssAnon and RssFile from /proc/self/status, in MB (read right after <see cref="RssMb"/>).</summary>
    private static (double Anon, double File) RssParts()
    {
        double anon = 0, file = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                anon = long.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                file = long.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        return (anon, file);
    }

    private static double RssMb()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // Aggressive: the runtime also gives back the memory of freed garbage (building leaves much).
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        return Environment.WorkingSet / 1048576.0;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
