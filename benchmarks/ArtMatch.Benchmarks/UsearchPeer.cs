using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Cloud.Unum.USearch;

namespace ArtMatch.Benchmarks;

/// <summary>
/// <c>usearch DIR [--connectivity M] [--expansion EF]</c>: USearch (Cloud.Unum.USearch, HNSW over int8
/// rows, inner product) on the rows <c>scale --export DIR</c> wrote, measured as benchmarks/ann_peers.py
/// measures FAISS and hnswlib: 300 rows asked per query, the first 10 distinct pictures kept, recall@10
/// against the exported exact answers, p50/p99 one query at a time over the recall queries, build
/// seconds (one thread), resident growth while building. Prints one JSON line.
/// </summary>
internal static class UsearchPeer
{
    private const int RowK = 300;
    private const int K = 10;

    public static int Run(string[] args)
    {
        string dir = args[0];
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "meta.json")));
        int dim = meta.RootElement.GetProperty("dim").GetInt32();
        int connectivity = IntOption(args, "--connectivity", 16);
        int expansion = IntOption(args, "--expansion", 300);
        var rows = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "rows.f32"))).ToArray();
        var pictureOf = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(dir, "rows.picture.i32"))).ToArray();
        var queries = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "queries.f32"))).ToArray();
        var truth = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(dir, "truth.i32"))).ToArray();
        int n = pictureOf.Length, recallQueries = truth.Length / K;

        double before = Rss();
        var clock = Stopwatch.StartNew();
        using var index = new USearchIndex(MetricKind.Ip, ScalarKind.Int8, (ulong)dim, (ulong)connectivity, 128, (ulong)expansion, false);
        // One thread: the wrapper grows the index's capacity inside Add, which is not safe to race.
        for (int r = 0; r < n; r++)
            index.Add((ulong)r, rows.AsSpan(r * dim, dim).ToArray());
        double buildSeconds = clock.Elapsed.TotalSeconds;
        double indexMb = Rss() - before;

        var times = new List<double>();
        double recall = 0;
        for (int q = 0; q < recallQueries; q++)
        {
            var query = queries.AsSpan(q * dim, dim).ToArray();
            long started = Stopwatch.GetTimestamp();
            int found = index.Search(query, RowK, out ulong[] keys, out _);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var pictures = keys.Take(found).Select(k => pictureOf[(int)k]).Distinct().Take(K).ToHashSet();
            var want = truth.AsSpan(q * K, K).ToArray().Where(t => t >= 0).ToHashSet();
            recall += pictures.Count(want.Contains) / (double)Math.Min(K, want.Count);
        }
        times.Sort();
        var result = new Dictionary<string, object>
        {
            ["name"] = "usearch",
            ["rows"] = n,
            ["connectivity"] = connectivity,
            ["expansion_search"] = expansion,
            ["hardware"] = index.HardwareAcceleration(),
            ["build_s"] = Math.Round(buildSeconds, 1),
            ["index_mb"] = Math.Round(indexMb),
            ["recall_at_10"] = Math.Round(recall / recallQueries, 4),
            ["search_p50_ms"] = Math.Round(times[times.Count / 2], 3),
            ["search_p99_ms"] = Math.Round(times[Math.Max(0, (int)Math.Ceiling(0.99 * times.Count) - 1)], 3),
            ["load"] = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static double Rss()
    {
        GC.Collect();
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        return 0;
    }
}
