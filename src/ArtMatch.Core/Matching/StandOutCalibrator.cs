namespace ArtMatch.Core.Matching;

/// <summary>What the stand-out rule with one statistic and value does to the calibration trials.</summary>
/// <param name="Genuine">Genuine trials (synthetic views matched against the whole catalogue).</param>
/// <param name="Impostors">Leave-one-out impostor trials.</param>
/// <param name="GenuinePossible">Genuine trials answered "possible" on the score (the rule can only take those).</param>
/// <param name="GenuineLost">Genuine trials the rule turns from "possible" into "no match".</param>
/// <param name="ImpostorPossibleBefore">Impostor trials answered "possible" on the score.</param>
/// <param name="ImpostorPossibleAfter">Impostor trials still "possible" with the rule.</param>
public sealed record StandOutTrialCounts(StandOutStatistic Statistic, float MinStandOut, int Genuine, int Impostors, int GenuinePossible, int GenuineLost,
                                        int ImpostorPossibleBefore, int ImpostorPossibleAfter)
{
    public double GenuineLossRate => GenuineLost / (double)Math.Max(1, Genuine);

    public double ImpostorPossibleRateBefore => ImpostorPossibleBefore / (double)Math.Max(1, Impostors);

    public double ImpostorPossibleRateAfter => ImpostorPossibleAfter / (double)Math.Max(1, Impostors);
}

/// <summary>The stand-out value chosen (<see cref="Chosen"/>), and what each statistic would have given.</summary>
public sealed record StandOutCalibration(StandOutTrialCounts Chosen, IReadOnlyList<StandOutTrialCounts> ByStatistic);

/// <summary>
/// Chooses <see cref="VerdictThresholds.MinStandOut"/> from calibration trials (the full match's answer to
/// each synthetic view, genuine and leave-one-out impostor), never from query answers. For each statistic:
/// the lowest value that leaves at most <see cref="ImpostorPossibleRate"/> of all impostor trials "possible",
/// or, when that would turn more than <see cref="GenuineLossRate"/> of all genuine trials from "possible"
/// into "no match", the highest value within that loss (the loss cap wins: a missed stolen object
/// crosses a border, a "possible" costs a look). The statistic that leaves fewer impostors "possible" is
/// chosen (ties: the z-score). A value of 0 leaves the rule off.
/// </summary>
public sealed class StandOutCalibrator
{
    /// <summary>Share of all impostor trials allowed to stay "possible" (the must-show of issue 18: 0.15).</summary>
    public double ImpostorPossibleRate { get; init; } = 0.15;

    /// <summary>Share of all genuine trials the rule may turn from "possible" into "no match".</summary>
    public double GenuineLossRate { get; init; } = 0.02;

    /// <param name="genuine">The full match's answer to each genuine trial.</param>
    /// <param name="impostors">The full match's answer to each impostor trial.</param>
    /// <param name="thresholds">The verdict thresholds in force (their own stand-out rule is ignored: the choice is made against the score's verdicts).</param>
    public StandOutCalibration Choose(IReadOnlyList<StepAnswer> genuine, IReadOnlyList<StepAnswer> impostors, VerdictThresholds thresholds)
    {
        var byStatistic = Enum.GetValues<StandOutStatistic>().Select(s => ChooseFor(s, genuine, impostors, thresholds)).ToList();
        var chosen = byStatistic.OrderBy(c => c.ImpostorPossibleAfter).ThenBy(c => c.Statistic).First();
        return new StandOutCalibration(chosen, byStatistic);
    }

    /// <summary>The value for one statistic, and what it does to the trials.</summary>
    public StandOutTrialCounts ChooseFor(StandOutStatistic statistic, IReadOnlyList<StepAnswer> genuine, IReadOnlyList<StepAnswer> impostors, VerdictThresholds thresholds)
    {
        var plain = thresholds with { MinStandOut = 0, StandOutStatistic = statistic };
        var genuineStandOuts = Judged(genuine, plain, statistic, out int genuineUnmeasured);
        var impostorStandOuts = Judged(impostors, plain, statistic, out int impostorUnmeasured);

        // Highest value losing at most the allowed genuine trials: the value of the first one kept.
        int allowedLoss = (int)Math.Floor(GenuineLossRate * genuine.Count + 1e-9);
        float cap = allowedLoss >= genuineStandOuts.Length ? float.PositiveInfinity : FloorTo3(genuineStandOuts[allowedLoss]);
        // Lowest value keeping at most the allowed impostor trials "possible" (those unmeasured always stay).
        int allowedKept = (int)Math.Floor(ImpostorPossibleRate * impostors.Count + 1e-9) - impostorUnmeasured;
        float target = allowedKept >= impostorStandOuts.Length ? 0
            : allowedKept <= 0 ? float.PositiveInfinity
            : CeilingAbove(impostorStandOuts[impostorStandOuts.Length - allowedKept - 1]);
        float value = Math.Max(0, Math.Min(cap, target));
        if (float.IsPositiveInfinity(value))
            value = CeilingAbove(impostorStandOuts[^1]); // every measured impostor cut, and no genuine loss to stop it
        int lost = genuineStandOuts.Count(s => s < value);
        int kept = impostorStandOuts.Count(s => s >= value) + impostorUnmeasured;
        return new StandOutTrialCounts(statistic, value, genuine.Count, impostors.Count, genuineStandOuts.Length + genuineUnmeasured, value > 0 ? lost : 0,
            impostorStandOuts.Length + impostorUnmeasured, value > 0 ? kept : impostorStandOuts.Length + impostorUnmeasured);
    }

    /// <summary>The stand-outs of the trials the score answers "possible" below "match" (ascending), and how many of those had too few candidates to measure.</summary>
    private static float[] Judged(IReadOnlyList<StepAnswer> answers, VerdictThresholds thresholds, StandOutStatistic statistic, out int unmeasured)
    {
        var possible = answers.Where(a => a.BestScore < thresholds.Match && a.JudgedBy(thresholds).Verdict == Verdict.Possible).ToList();
        unmeasured = possible.Count(a => a.StandOut is null);
        return possible.Where(a => a.StandOut is not null).Select(a => a.StandOut!.Value.Of(statistic)).Order().ToArray();
    }

    // Rounded as the config keeps it: down for the loss cap (never losing more), above for the target (strictly above the last impostor cut).
    private static float FloorTo3(float value) => (float)(Math.Floor(value * 1000.0) / 1000.0);

    private static float CeilingAbove(float value) => (float)((Math.Floor(value * 1000.0) + 1) / 1000.0);
}
