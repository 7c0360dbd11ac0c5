using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Evaluation;

/// <summary>What the pipeline answered for one query.</summary>
public sealed record QueryOutcome(EvalQuery Query, IReadOnlyList<string> RankedObjectIds, IReadOnlyList<float> Scores, Verdict Verdict, double Milliseconds)
{
    /// <summary>The full candidates when the pipeline produced them (for reports).</summary>
    public IReadOnlyList<Candidate> Candidates { get; init; } = [];

    /// <summary>The match's time per stage.</summary>
    public MatchTimings Timings { get; init; } = MatchTimings.None;

    /// <summary>The step after which the cascade answered (<see cref="MatchResult.AnsweredAfter"/>); empty when the query failed.</summary>
    public string AnsweredAfter { get; init; } = "";

    /// <summary>The 1:1 verification pairs of a matchable query, when the evaluation verified (<c>eval --verify</c>).</summary>
    public VerifyOutcome? Verify { get; init; }
}

/// <summary>One stage's time over the queries that ran it.</summary>
public sealed record StageSummary(string Stage, int Runs, double MeanMs, double P50Ms, double P95Ms)
{
    /// <summary>Per stage, in the order stages first appear, over the queries that ran each.</summary>
    public static IReadOnlyList<StageSummary> Of(IEnumerable<QueryOutcome> outcomes)
    {
        var byStage = new Dictionary<string, List<double>>();
        foreach (var outcome in outcomes)
        {
            foreach (var (stage, elapsed) in outcome.Timings.Stages())
            {
                if (!byStage.TryGetValue(stage, out var times))
                    byStage[stage] = times = [];
                times.Add(elapsed.TotalMilliseconds);
            }
        }
        return byStage.Select(kv =>
        {
            var sorted = kv.Value.Order().ToArray();
            return new StageSummary(kv.Key, sorted.Length, sorted.Average(), Pick(sorted, 0.5), Pick(sorted, 0.95));
        }).ToList();
    }

    private static double Pick(double[] sorted, double fraction) => sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>Retrieval and verdict figures over a group of queries.</summary>
public sealed record MetricSummary
{
    public int Queries { get; init; }
    public int Matchable { get; init; }
    public int NoMatchQueries { get; init; }
    public double Top1 { get; init; }
    public double RecallAt5 { get; init; }
    public double Map { get; init; }

    /// <summary>Share of must-be-no-match queries answered "match".</summary>
    public double FalseMatchRate { get; init; }

    /// <summary>Share of matchable queries answered "no match".</summary>
    public double MissRate { get; init; }

    /// <summary>Share of must-be-no-match queries answered "possible" (work for an officer, not an alarm).</summary>
    public double PossibleRateOnNoMatch { get; init; }

    public double LatencyP50Ms { get; init; }
    public double LatencyP95Ms { get; init; }
}

public static class EvalMetrics
{
    public static MetricSummary Summarise(IReadOnlyList<QueryOutcome> outcomes)
    {
        var matchable = outcomes.Where(o => o.Query.IsMatchable).ToList();
        var noMatch = outcomes.Where(o => !o.Query.IsMatchable).ToList();
        var latencies = outcomes.Select(o => o.Milliseconds).Order().ToArray();
        return new MetricSummary
        {
            Queries = outcomes.Count,
            Matchable = matchable.Count,
            NoMatchQueries = noMatch.Count,
            Top1 = Mean(matchable, o => o.RankedObjectIds.Count > 0 && o.Query.ExpectedObjectIds.Contains(o.RankedObjectIds[0]) ? 1 : 0),
            RecallAt5 = Mean(matchable, o => o.RankedObjectIds.Take(5).Any(o.Query.ExpectedObjectIds.Contains) ? 1 : 0),
            Map = Mean(matchable, o => AveragePrecision(o.RankedObjectIds, o.Query.ExpectedObjectIds)),
            FalseMatchRate = Mean(noMatch, o => o.Verdict == Verdict.Match ? 1 : 0),
            MissRate = Mean(matchable, o => o.Verdict == Verdict.NoMatch ? 1 : 0),
            PossibleRateOnNoMatch = Mean(noMatch, o => o.Verdict == Verdict.Possible ? 1 : 0),
            LatencyP50Ms = Percentile(latencies, 0.50),
            LatencyP95Ms = Percentile(latencies, 0.95),
        };
    }

    /// <summary>Summary per query kind, in kind order.</summary>
    public static IReadOnlyDictionary<string, MetricSummary> SummarisePerKind(IReadOnlyList<QueryOutcome> outcomes) =>
        outcomes.GroupBy(o => o.Query.Kind)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Summarise(g.ToList()));

    /// <summary>Average precision of one ranking: mean over relevant objects of precision at their rank (0 if not ranked).</summary>
    public static double AveragePrecision(IReadOnlyList<string> ranked, IReadOnlyList<string> relevant)
    {
        if (relevant.Count == 0)
            return 0;
        int hits = 0;
        double sum = 0;
        for (int i = 0; i < ranked.Count; i++)
        {
            if (relevant.Contains(ranked[i]))
            {
                hits++;
                sum += (double)hits / (i + 1);
            }
        }
        return sum / relevant.Count;
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 for none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double fraction)
    {
        if (sorted.Count == 0)
            return 0;
        int rank = (int)Math.Ceiling(fraction * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static double Mean(List<QueryOutcome> items, Func<QueryOutcome, double> value) =>
        items.Count == 0 ? 0 : items.Sum(value) / items.Count;
}
