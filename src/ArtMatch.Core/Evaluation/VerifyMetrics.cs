using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Evaluation;

/// <summary>
/// One matchable query verified twice: against its expected object (genuine) and against the
/// catalogue object Match ranked highest among the wrong ones (a near-miss impostor).
/// </summary>
public sealed record VerifyOutcome(float GenuineScore, VerifyVerdict GenuineVerdict, string? ImpostorObjectId, float ImpostorScore, VerifyVerdict ImpostorVerdict)
{
    /// <summary>The genuine pair's whole answer (its evidence, for reports).</summary>
    public VerifyResult? Genuine { get; init; }

    public VerifyResult? Impostor { get; init; }
}

/// <summary>1:1 verification figures over a set's genuine and near-miss impostor pairs.</summary>
public sealed record VerifySummary
{
    public int GenuinePairs { get; init; }
    public int ImpostorPairs { get; init; }

    /// <summary>Share of genuine pairs answered "same" at the calibrated thresholds.</summary>
    public double TrueAcceptRate { get; init; }

    /// <summary>Share of impostor pairs answered "same" at the calibrated thresholds.</summary>
    public double FalseAcceptRate { get; init; }

    /// <summary>Share of genuine pairs answered "uncertain" (an officer compares).</summary>
    public double GenuineUncertainRate { get; init; }

    public double ImpostorUncertainRate { get; init; }

    /// <summary>Share of genuine pairs scoring above the lowest threshold that at most 1 % of impostors pass (score alone).</summary>
    public double TrueAcceptRateAtFar1Pct { get; init; }

    /// <summary>That threshold: genuine pairs must score above it.</summary>
    public double ScoreAtFar1Pct { get; init; }
}

public static class VerifyMetrics
{
    public static VerifySummary Summarise(IReadOnlyList<VerifyOutcome> outcomes)
    {
        var impostors = outcomes.Where(o => o.ImpostorObjectId is not null).ToList();
        var (tar, at) = TrueAcceptRateAt(outcomes.Select(o => o.GenuineScore).ToArray(), impostors.Select(o => o.ImpostorScore).ToArray(), 0.01);
        return new VerifySummary
        {
            GenuinePairs = outcomes.Count,
            ImpostorPairs = impostors.Count,
            TrueAcceptRate = Share(outcomes, o => o.GenuineVerdict == VerifyVerdict.Same),
            FalseAcceptRate = Share(impostors, o => o.ImpostorVerdict == VerifyVerdict.Same),
            GenuineUncertainRate = Share(outcomes, o => o.GenuineVerdict == VerifyVerdict.Uncertain),
            ImpostorUncertainRate = Share(impostors, o => o.ImpostorVerdict == VerifyVerdict.Uncertain),
            TrueAcceptRateAtFar1Pct = tar,
            ScoreAtFar1Pct = at,
        };
    }

    /// <summary>
    /// The share of genuine scores above the impostor score that only <paramref name="falseAcceptRate"/>
    /// of impostors exceed (at most floor(rate x impostors) of them may be above it), and that score.
    /// </summary>
    public static (double TrueAcceptRate, double Threshold) TrueAcceptRateAt(float[] genuine, float[] impostor, double falseAcceptRate)
    {
        if (genuine.Length == 0)
            return (0, 0);
        if (impostor.Length == 0)
            return (1, double.NegativeInfinity);
        var descending = impostor.OrderDescending().ToArray();
        int allowed = (int)Math.Floor(falseAcceptRate * descending.Length + 1e-9);
        if (allowed >= descending.Length)
            return (1, double.NegativeInfinity);
        float threshold = descending[allowed];
        return (genuine.Count(g => g > threshold) / (double)genuine.Length, threshold);
    }

    private static double Share<T>(IReadOnlyCollection<T> items, Func<T, bool> test) => items.Count == 0 ? 0 : items.Count(test) / (double)items.Count;
}
