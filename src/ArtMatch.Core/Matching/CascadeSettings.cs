namespace ArtMatch.Core.Matching;

/// <summary>
/// How a match runs its stages. The cheap pass (the whole photo described at one size, searched,
/// its leaders verified and judged) answers most photos; a photo whose answer is not yet certain
/// escalates step by step through the costlier searches (<see cref="Escalation"/>), judged again
/// after each. The rules are chosen by <c>artmatch calibrate</c> on synthetic views of the
/// catalogue and leave-one-out trials (how often stopping early would have given another answer
/// than running every stage), never on query answers; see README "Cascade".
/// </summary>
public sealed record CascadeSettings
{
    // Defaults: `artmatch calibrate --cascade-only --samples 200 --seed 1` on a store of the development
    // catalogue as import leaves it, with the default thresholds (match 1.087, possible 0.827, margin 0.193),
    // its synthetic views including photos turned sideways, close-ups and pictures small in cluttered scenes
    // (SyntheticViews.PasteIntoClutter), the "no match" rule allowed to change no trial: 400 trials (200
    // views, each genuine and leave-one-out impostor), answer changed against the full match in 0.25 % of
    // them (by the match rule); answered after the cheap pass 78, keypoints 78, turns 4, regions 240. No
    // query answers used.

    /// <summary>Run every stage for every photo (the reference the cascade is measured against; <c>--full</c>).</summary>
    public bool Full { get; init; }

    /// <summary>
    /// A "match" stops the cascade when the best candidate leads the runner-up by at least this
    /// (at least the verdict's own minimum margin). <see cref="NeverStop"/> (or any lead no score reaches) never stops on a match.
    /// </summary>
    public float StopMatchMargin { get; init; } = 0.19f;

    /// <summary>
    /// The cascade answers "no match" without searching further when the best score (plain cosine
    /// plus geometric bonus) is below this: nothing in the catalogue resembles the photo enough for
    /// a closer look to find it. Applies after a step <see cref="StopNoMatchBelowAfter"/> does not
    /// name; 0 turns the "no match" rule off at every step.
    /// </summary>
    /// <remarks>
    /// Chosen so that it changes no calibration trial's answer (<see cref="CascadeCalibrator.NoMatchChangedRate"/>):
    /// the views that constrain it are an object small in clutter, a close-up and a photo taken sideways,
    /// whose best score stays low until the regions, the keypoints or the turns have run. A budget shared
    /// with every view (0.70/0.76/0.79, calibrated without cluttered scenes) lost pasted-in-scene photos on
    /// the dev queries (top1 0.9712 -> 0.949; benchmarks/RESULTS.md, Cascade).
    /// </remarks>
    public float StopNoMatchBelow { get; init; } = 0.64f;

    /// <summary>
    /// The "no match" rule per step, by step name ("search" for the cheap pass, then the escalation
    /// stages): a photo whose best score after that step is below the value stops there. A step not
    /// named uses <see cref="StopNoMatchBelow"/>. Later steps have seen more views of the photo, so
    /// calibration can allow them a higher value than the cheap pass.
    /// </summary>
    public Dictionary<string, float>? StopNoMatchBelowAfter { get; init; } = new() { ["search"] = 0.64f, ["keypoints"] = 0.64f, ["turns"] = 0.70f };

    /// <summary>
    /// The "no match" rule for a photo nothing lines up with, by step name: when no candidate has
    /// geometric agreement above <see cref="UnverifiedGeometry"/> (CNN cells, keypoints and SIFT all at or
    /// below what chance gives) and the best score after that step is below the value, the cascade
    /// answers "no match" there. A step not named (or 0) has no such rule; off at every step when
    /// <see cref="StopNoMatchBelow"/> is 0.
    /// </summary>
    /// <remarks>
    /// The best score alone cannot tell an innocent photo's look-alike (a similar object, no shared
    /// layout) from a catalogued object small in clutter or seen close up, before the stage that finds
    /// it has run. After the keypoints the two differ: the close-up and most objects in clutter have
    /// corners that line up with their picture; a look-alike has none. Chosen by calibration
    /// like the score rule: the highest value that changes no further calibration trial.
    /// </remarks>
    public Dictionary<string, float>? StopUnverifiedBelowAfter { get; init; }

    /// <summary>The geometric bonus (<see cref="Stages.Judgement.Geometry"/>) at or below which no candidate counts as lining up with the photo, for <see cref="StopUnverifiedBelowAfter"/>.</summary>
    public float UnverifiedGeometry { get; init; }

    /// <summary>The "nothing lines up" rule after <paramref name="step"/>; 0 when off there.</summary>
    public float UnverifiedBelow(string step) =>
        StopNoMatchBelow <= 0 ? 0 : StopUnverifiedBelowAfter is { } perStep && perStep.TryGetValue(step, out var value) ? value : 0;

    /// <summary>The "no match" rule after <paramref name="step"/>; 0 (off at every step) when <see cref="StopNoMatchBelow"/> is 0.</summary>
    public float NoMatchBelow(string step) =>
        StopNoMatchBelow <= 0 ? 0 : StopNoMatchBelowAfter is { } perStep && perStep.TryGetValue(step, out var value) ? value : StopNoMatchBelow;

    /// <summary>
    /// The costlier searches in the order a photo escalates through them, by stage name: "keypoints"
    /// (pixel-level corners: close-ups), "sift" (SIFT features over the catalogue, when the matcher has them), "turns" (the photo turned: taken sideways), "regions" (crops:
    /// an object small in a scene). Every stage named once; a stage left out never runs in the cascade.
    /// </summary>
    public string[] Escalation { get; init; } = ["keypoints", "sift", "turns", "regions"];

    /// <summary>
    /// Whether a match computes the escalation's photo-only inputs (the keypoints and their catalogue
    /// search, the quarter turns and their search, the regions and their search) ahead of need on an
    /// idle core while the cheap pass runs (<see cref="Stages.Speculation"/>). <see cref="SpeculationMode.Auto"/>
    /// (the default): only while the process has fewer matches in flight plus speculations running
    /// than cores, so a loaded server does no speculative work; <see cref="SpeculationMode.Off"/>: never.
    /// The answers are the same either way; only the time to answer changes.
    /// </summary>
    public SpeculationMode Speculate { get; init; } = SpeculationMode.Auto;

    /// <summary>A stop margin no lead reaches (scores are at most about 2): never stop on a match. Finite, so that config files can hold it.</summary>
    public const float NeverStop = 99f;

    /// <summary>The stage names <see cref="Escalation"/> may hold.</summary>
    public static readonly IReadOnlyList<string> EscalationStages = ["keypoints", "sift", "turns", "regions"];

    /// <summary>The stopping rules after <paramref name="step"/>: a match with a clear lead, or nothing in the catalogue resembling the photo.</summary>
    /// <param name="geometry">The strongest geometric agreement among the candidates (<see cref="Stages.Judgement.Geometry"/>); infinity when not known.</param>
    public bool IsCertain(string step, Verdict verdict, float margin, float bestScore, float geometry = float.PositiveInfinity) =>
        (verdict == Verdict.Match && margin >= StopMatchMargin) || bestScore < NoMatchBelow(step)
        || (geometry <= UnverifiedGeometry && bestScore < UnverifiedBelow(step));

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting when the values cannot work.</summary>
    public void Validate()
    {
        if (float.IsNaN(StopMatchMargin) || StopMatchMargin < 0)
            throw new ArgumentException($"match.cascade.stop_match_margin must be 0 or more (got {StopMatchMargin}).");
        if (float.IsNaN(StopNoMatchBelow) || StopNoMatchBelow < 0)
            throw new ArgumentException($"match.cascade.stop_no_match_below must be 0 or more (got {StopNoMatchBelow}).");
        ValidateSteps("stop_no_match_below_after", StopNoMatchBelowAfter);
        ValidateSteps("stop_unverified_below_after", StopUnverifiedBelowAfter);
        if (float.IsNaN(UnverifiedGeometry) || UnverifiedGeometry < 0)
            throw new ArgumentException($"match.cascade.unverified_geometry must be 0 or more (got {UnverifiedGeometry}).");
        foreach (var name in Escalation ?? [])
        {
            if (!EscalationStages.Contains(name))
                throw new ArgumentException($"match.cascade.escalation: unknown stage \"{name}\" (known: {string.Join(", ", EscalationStages)}).");
        }
        if ((Escalation ?? []).Distinct().Count() != (Escalation ?? []).Length)
            throw new ArgumentException("match.cascade.escalation names a stage twice.");
        if (!Enum.IsDefined(Speculate))
            throw new ArgumentException($"match.cascade.speculate must be \"auto\" or \"off\" (got {(int)Speculate}).");
    }

    private static void ValidateSteps(string setting, Dictionary<string, float>? values)
    {
        foreach (var (step, value) in values ?? [])
        {
            if (step != "search" && !EscalationStages.Contains(step))
                throw new ArgumentException($"match.cascade.{setting}: unknown step \"{step}\" (known: search, {string.Join(", ", EscalationStages)}).");
            if (float.IsNaN(value) || value < 0)
                throw new ArgumentException($"match.cascade.{setting}.{step} must be 0 or more (got {value}).");
        }
    }
}

/// <summary>When a match computes the escalation's inputs ahead of need (<see cref="CascadeSettings.Speculate"/>).</summary>
public enum SpeculationMode
{
    /// <summary>On idle cores only: while matches in flight plus speculations running are fewer than the cores.</summary>
    Auto,

    /// <summary>Never: the cascade computes each input when its stage runs.</summary>
    Off,
}
