using System.Diagnostics;
using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Where a match's time goes, stage by stage, on a store already built (no import in the figure):
/// <c>match-stages STORE SET [EVERY] [full]</c> matches every EVERY-th query of the evaluation set's
/// queries.csv once to warm the catalogue pictures, then again timed, one at a time; prints one JSON
/// line with the mean and p50 of each stage, the whole match's p50/p95 and where the cascade answered.
/// </summary>
public static class MatchStages
{
    public static int Run(string[] args)
    {
        string store = args[0], set = args[1];
        int every = args.Length > 2 ? int.Parse(args[2]) : 1;
        bool full = args.Length > 3 && args[3] == "full";
        var config = new ArtMatchConfig();
        if (full)
            config = config with { Match = config.Match with { Cascade = config.Match.Cascade with { Full = true } } };
        using var engine = ArtMatchEngine.Create(config).OpenStore(store);
        var matcher = engine.RequireMatcher();
        var lines = File.ReadAllLines(Path.Combine(set, "queries.csv")).Skip(1).Where((_, i) => i % every == 0)
            .Select(l => (Path: Path.Combine(set, l.Split(',')[0]), Kind: l.Split(',')[2])).ToList();
        var photos = lines.Select(l => File.ReadAllBytes(l.Path)).ToList();
        foreach (var photo in photos)
            matcher.Match(photo, new MatchRequest { TopK = 10 });
        var stages = new Dictionary<string, List<double>>();
        var total = new List<double>();
        var answered = new Dictionary<string, int>();
        var byKind = new Dictionary<string, List<double>>();
        for (int i = 0; i < photos.Count; i++)
        {
            var clock = Stopwatch.StartNew();
            var result = matcher.Match(photos[i], new MatchRequest { TopK = 10 });
            double ms = clock.Elapsed.TotalMilliseconds;
            total.Add(ms);
            string kind = lines[i].Kind.StartsWith("synthetic:") ? lines[i].Kind[10..] : lines[i].Kind;
            (byKind.TryGetValue(kind, out var k) ? k : byKind[kind] = []).Add(ms);
            answered[result.AnsweredAfter] = answered.GetValueOrDefault(result.AnsweredAfter) + 1;
            foreach (var (stage, elapsed) in result.Timings.Stages())
                (stages.TryGetValue(stage, out var list) ? list : stages[stage] = []).Add(elapsed.TotalMilliseconds);
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            queries = photos.Count,
            pipeline = full ? "full" : "cascade",
            p50_ms = Quantile(total, 0.5),
            p95_ms = Quantile(total, 0.95),
            mean_ms = total.Average(),
            answered_after = answered,
            stages = stages.ToDictionary(kv => kv.Key, kv => new { runs = kv.Value.Count, mean_ms = Math.Round(kv.Value.Average(), 1), p50_ms = Math.Round(Quantile(kv.Value, 0.5), 1) }),
            kinds = byKind.ToDictionary(kv => kv.Key, kv => new { n = kv.Value.Count, p50_ms = Math.Round(Quantile(kv.Value, 0.5), 1) }),
        }));
        return 0;
    }

    private static double Quantile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return Math.Round(sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)], 1);
    }
}
