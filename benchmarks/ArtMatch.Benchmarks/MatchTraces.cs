using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Every cascade step's answer for each query, never stopping (what calibration records for its
/// trials, <see cref="StepAnswer"/>), to measure what a stopping rule would do on a set without
/// running it once per rule: <c>match-traces STORE SET [EVERY] [CONFIG.json]</c>. SET is an eval set
/// (queries.csv) or a folder of JPEGs. One JSON line a query: query, expected object, kind, steps.
/// Measuring only: rules are chosen on calibration trials, never on these answers.
/// </summary>
public static class MatchTraces
{
    public static int Run(string[] args)
    {
        string storePath = args[0], set = args[1];
        int every = args.Length > 2 && int.TryParse(args[2], out var e) ? e : 1;
        var config = ArtMatchConfig.Load(args.FirstOrDefault(a => a.EndsWith(".json", StringComparison.Ordinal)));
        using var engine = ArtMatchEngine.Create(config).OpenStore(storePath);
        var matcher = engine.RequireMatcher();
        var csv = Path.Combine(set, "queries.csv");
        var queries = File.Exists(csv)
            ? File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).Select(f => (Path: f[0], Expected: f[1], Kind: f[2]))
            : Directory.EnumerateFiles(set, "*.jpg").Order(StringComparer.Ordinal).Select(f => (Path: Path.GetFileName(f), Expected: "", Kind: Path.GetFileName(f).Split('-')[0]));
        foreach (var (path, expected, kind) in queries.Where((_, i) => i % every == 0))
        {
            var photo = matcher.Describer.Query(matcher.Describer.Decode(File.ReadAllBytes(Path.Combine(set, path))));
            var trace = matcher.Trace(photo, new MatchRequest { TopK = 5 })
                .Select(s => StepAnswer.Of(s.Step, s.Judgement, matcher.Settings.MaxColourShift)).ToList();
            Console.WriteLine(JsonSerializer.Serialize(new { q = path, expected, kind, steps = trace }));
        }
        return 0;
    }
}

/// <summary>
/// The cascade's rules chosen again from saved calibration traces (<c>calibrate --cascade-traces</c>)
/// without running the trials again: <c>cascade-choose TRACES.jsonl [unverified] [CONFIG.json]</c>, with the
/// config's thresholds and rules; prints the chosen rules, the changed rate and where the trials stop.
/// </summary>
public static class CascadeChoose
{
    public static int Run(string[] args)
    {
        var config = ArtMatchConfig.Load(args.FirstOrDefault(a => a.EndsWith(".json", StringComparison.Ordinal) && !a.EndsWith(".jsonl", StringComparison.Ordinal)));
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        var traces = File.ReadLines(args[0])
            .Select(l => (IReadOnlyList<StepAnswer>)JsonDocument.Parse(l).RootElement.GetProperty("steps").Deserialize<List<StepAnswer>>(options)!).ToList();
        var result = new CascadeCalibrator { ChooseUnverifiedRule = args.Contains("unverified") }.Choose(traces, config.Match.Cascade, config.Match.Thresholds);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            margin = result.Rules.StopMatchMargin, no_match_after = result.Rules.StopNoMatchBelowAfter, unverified_after = result.Rules.StopUnverifiedBelowAfter,
            trials = result.Trials, changed_rate = result.ChangedRate, answered_after = result.AnsweredAfter,
        }));
        return 0;
    }
}
