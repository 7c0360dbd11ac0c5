using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Matching;

/// <summary>What one step of the cascade answered for one trial photo: the verdict, the best object, its score and lead.</summary>
public readonly record struct StepAnswer(string Step, Verdict Verdict, string? BestObjectId, float BestScore, float Margin)
{
    /// <summary>The best candidate's colours lie too far apart for "match" (<see cref="ColourCheck"/>).</summary>
    public bool ColourVeto { get; init; }

    /// <summary>The strongest geometric agreement among the candidates: the largest bonus a geometric check added to a plain cosine (0: no candidate's layout lines up with the photo).</summary>
    public float Geometry { get; init; }

    /// <summary>Most CNN-cell inliers of any candidate (what chance gives stays at or below the inlier floor).</summary>
    public int MaxInliers { get; init; }

    /// <summary>Most keypoint inliers of any candidate (0 before the keypoint stage).</summary>
    public int MaxKeypointInliers { get; init; }

    /// <summary>The best candidate's plain cosine (its score without the geometric bonus).</summary>
    public float BestSimilarity { get; init; }

    /// <summary>How far the best candidate stands out from the others (<see cref="Matching.StandOut"/>); null with too few candidates.</summary>
    public StandOut? StandOut { get; init; }

    public static StepAnswer Of(string step, Judgement judgement, float maxColourShift) =>
        new(step, judgement.Verdict, judgement.Best?.ObjectId, judgement.Best?.Score ?? 0, judgement.Margin)
        {
            ColourVeto = judgement.Best?.ColourShift > maxColourShift,
            Geometry = judgement.Geometry,
            MaxInliers = judgement.Ranked.Count == 0 ? 0 : judgement.Ranked.Max(c => c.Inliers),
            MaxKeypointInliers = judgement.Ranked.Count == 0 ? 0 : judgement.Ranked.Max(c => c.KeypointInliers),
            BestSimilarity = judgement.Best?.Similarity ?? 0,
            StandOut = judgement.Best?.StandOut,
        };

    /// <summary>The verdict other thresholds give this answer (the colour veto kept, their stand-out rule applied).</summary>
    public StepAnswer JudgedBy(VerdictThresholds thresholds)
    {
        var verdict = thresholds.Judge(BestScore, Margin, StandOut);
        return this with { Verdict = verdict == Verdict.Match && ColourVeto ? Verdict.Possible : verdict };
    }

    /// <summary>The same answer for an officer: the same verdict and, unless it is "no match", the same object first.</summary>
    public bool SameAnswer(StepAnswer other) => Verdict == other.Verdict && (Verdict == Verdict.NoMatch || BestObjectId == other.BestObjectId);
}

/// <summary>The cascade's stopping rules chosen on calibration trials, and what they cost and save there.</summary>
public sealed record CascadeCalibrationResult(CascadeSettings Rules, int Trials, double ChangedRate, IReadOnlyDictionary<string, int> AnsweredAfter);

/// <summary>
/// Chooses the cascade's stopping rules from traces of calibration trials (every step's answer for
/// synthetic views of catalogue pictures, genuine and leave-one-out impostors; the last step is the
/// full match). A rule is kept only if stopping by it changes the answer (verdict, or object for a
/// "match"/"possible") of at most <see cref="TargetChangedRate"/> of the trials, and the "no match" rule
/// of at most <see cref="NoMatchChangedRate"/> (none by default); within that, the rules that stop the
/// most trials earliest. No query answers are used.
/// </summary>
public sealed class CascadeCalibrator
{
    /// <summary>Share of trials whose answer the cascade may change against the full match.</summary>
    public double TargetChangedRate { get; init; } = 0.005;

    /// <summary>Share of <see cref="TargetChangedRate"/> given to the "match" rule; the rest to the "no match" rule.</summary>
    public double MatchShare { get; init; } = 0.7;

    /// <summary>
    /// Share of trials whose answer the "no match" rule may change, at most (and within what
    /// <see cref="TargetChangedRate"/> leaves after the "match" rule). 0, the default: none. A wrong "no
    /// match" lets a catalogued object through, and the trials that constrain the rule (an object small
    /// in clutter, a close-up, a photo taken sideways: low until the one stage that finds them has run)
    /// are a few per cent of the views, so a budget shared with every view would be spent on them; the
    /// dev queries showed it (pasted-in-scene photos lost with 0.5 %, benchmarks/RESULTS.md).
    /// </summary>
    public double NoMatchChangedRate { get; init; }

    /// <summary>
    /// Also choose the "nothing lines up" rule (<see cref="CascadeSettings.StopUnverifiedBelowAfter"/>). Off by
    /// default: chosen on the development catalogue's trials, it still changed development answers
    /// (benchmarks/RESULTS.md, Cascade, fourth session); without it the rule stays as configured (off).
    /// </summary>
    public bool ChooseUnverifiedRule { get; init; }

    public CascadeCalibrationResult Choose(IReadOnlyList<IReadOnlyList<StepAnswer>> traces, CascadeSettings current, VerdictThresholds thresholds)
    {
        int n = Math.Max(1, traces.Count);
        // The smallest lead that keeps the changes within the match budget: a lower stop margin stops more photos early.
        float margin = CascadeSettings.NeverStop;
        for (float m = (float)Math.Round(Math.Max(0, thresholds.MinMargin), 2); m <= 2.0f; m = (float)Math.Round(m + 0.01f, 2))
        {
            if (Changed(traces, current with { StopMatchMargin = m, StopNoMatchBelow = 0, StopNoMatchBelowAfter = null, StopUnverifiedBelowAfter = null }) <= TargetChangedRate * MatchShare * n)
            {
                margin = m;
                break;
            }
        }
        // The "nothing resembles it" rule, step by step in the cascade's order: the highest score within
        // a growing share of the rest of the budget, with the rules of the steps before in place (a step
        // that has seen more views of the photo may stop more). The last step needs none: nothing follows.
        // The scalar is the rule's switch; while choosing, every step is named, so its value is not used.
        var rules = current with
        {
            StopMatchMargin = margin, StopNoMatchBelow = 1, StopNoMatchBelowAfter = StepsOf(traces).ToDictionary(s => s, _ => 0f), StopUnverifiedBelowAfter = null,
        };
        var steps = StepsOf(traces);
        int matchChanged = Changed(traces, rules);
        double noMatchBudget = Math.Min(Math.Max(0, TargetChangedRate * n - matchChanged), Math.Max(0, NoMatchChangedRate) * n);
        for (int i = 0; i < steps.Count - 1; i++)
        {
            double allowed = matchChanged + noMatchBudget * (i + 1) / (steps.Count - 1);
            float chosen = 0;
            for (float s = 0.01f; s <= thresholds.Possible; s = (float)Math.Round(s + 0.01f, 2))
            {
                var trial = new Dictionary<string, float>(rules.StopNoMatchBelowAfter!) { [steps[i]] = s };
                if (Changed(traces, rules with { StopNoMatchBelowAfter = trial }) > allowed)
                    break;
                chosen = s;
            }
            rules = rules with { StopNoMatchBelowAfter = new Dictionary<string, float>(rules.StopNoMatchBelowAfter!) { [steps[i]] = chosen } };
        }
        rules = ChooseUnverifiedRule ? ChooseUnverified(traces, rules, steps, thresholds, matchChanged + noMatchBudget) : rules with { StopUnverifiedBelowAfter = current.StopUnverifiedBelowAfter };
        // The scalar rule (steps not named, and the switch: 0 is off everywhere): the cheap pass's, else the lowest a later step allows.
        var positive = rules.StopNoMatchBelowAfter!.Values.Where(v => v > 0).ToList();
        float first = steps.Count > 1 ? rules.StopNoMatchBelowAfter!.GetValueOrDefault(steps[0]) : 0;
        rules = rules with { StopNoMatchBelow = first > 0 ? first : positive.Count > 0 ? positive.Min() : (rules.StopUnverifiedBelowAfter ?? []).Values.Any(v => v > 0) ? 0.01f : 0 };
        var answered = traces.GroupBy(t => StopStep(t, rules).Step).ToDictionary(g => g.Key, g => g.Count());
        return new CascadeCalibrationResult(rules, traces.Count, Changed(traces, rules) / (double)n, answered);
    }

    /// <summary>
    /// The "nothing lines up" rule, step by step: the highest score (from the score rule's value up to
    /// the "possible" threshold) below which a trial with no candidate's geometry above
    /// <see cref="CascadeSettings.UnverifiedGeometry"/> stops, changing no trial beyond <paramref name="allowed"/>.
    /// </summary>
    private static CascadeSettings ChooseUnverified(IReadOnlyList<IReadOnlyList<StepAnswer>> traces, CascadeSettings rules, List<string> steps,
                                                    VerdictThresholds thresholds, double allowed)
    {
        rules = rules with { StopUnverifiedBelowAfter = steps.ToDictionary(s => s, _ => 0f) };
        for (int i = 0; i < steps.Count - 1; i++)
        {
            float chosen = 0;
            float from = rules.StopNoMatchBelowAfter!.GetValueOrDefault(steps[i]);
            for (float s = (float)Math.Round(from + 0.01f, 2); s <= thresholds.Possible; s = (float)Math.Round(s + 0.01f, 2))
            {
                var trial = new Dictionary<string, float>(rules.StopUnverifiedBelowAfter!) { [steps[i]] = s };
                if (Changed(traces, rules with { StopUnverifiedBelowAfter = trial }) > allowed)
                    break;
                chosen = s;
            }
            rules = rules with { StopUnverifiedBelowAfter = new Dictionary<string, float>(rules.StopUnverifiedBelowAfter!) { [steps[i]] = chosen } };
        }
        return rules;
    }

    /// <summary>The steps of the longest trace, in order.</summary>
    private static List<string> StepsOf(IReadOnlyList<IReadOnlyList<StepAnswer>> traces) =>
        traces.Where(t => t.Count > 0).OrderByDescending(t => t.Count).FirstOrDefault()?.Select(a => a.Step).ToList() ?? [];

    /// <summary>Trials whose answer at the step the rules stop at differs from the full match's.</summary>
    public static int Changed(IReadOnlyList<IReadOnlyList<StepAnswer>> traces, CascadeSettings rules) =>
        traces.Count(t => t.Count > 0 && !StopStep(t, rules).SameAnswer(t[^1]));

    /// <summary>The first step whose answer the rules call certain, else the last.</summary>
    public static StepAnswer StopStep(IReadOnlyList<StepAnswer> trace, CascadeSettings rules)
    {
        foreach (var step in trace)
        {
            if (rules.IsCertain(step.Step, step.Verdict, step.Margin, step.BestScore, step.Geometry))
                return step;
        }
        return trace[^1];
    }
}
