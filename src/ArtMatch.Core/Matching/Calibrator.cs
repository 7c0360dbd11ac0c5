using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Matching;

public sealed record CalibrationResult(VerdictThresholds Thresholds, int Pairs, float[] GenuineScores, float[] ImpostorScores)
{
    /// <summary>The cascade's stopping rules chosen on the same trials (<see cref="CascadeCalibrator"/>).</summary>
    public CascadeCalibrationResult? Cascade { get; init; }

    /// <summary>The stand-out rule chosen on the same trials, and what each statistic would give; null when not chosen.</summary>
    public StandOutCalibration? StandOut { get; init; }

    /// <summary>Every trial's answer after each step, judged by <see cref="Thresholds"/>: genuine at even indexes, its leave-one-out impostor after it.</summary>
    public IReadOnlyList<IReadOnlyList<StepAnswer>> Traces { get; init; } = [];

    /// <summary>Share of genuine views that the thresholds would call "match" / at least "possible".</summary>
    public double GenuineMatchRate => GenuineScores.Count(s => s >= Thresholds.Match) / (double)Math.Max(1, GenuineScores.Length);

    public double GenuinePossibleRate => GenuineScores.Count(s => s >= Thresholds.Possible) / (double)Math.Max(1, GenuineScores.Length);

    public double ImpostorMatchRate => ImpostorScores.Count(s => s >= Thresholds.Match) / (double)Math.Max(1, ImpostorScores.Length);

    /// <summary>Share of impostor views that the thresholds would call at least "possible" (an officer's work on innocent photos).</summary>
    public double ImpostorPossibleRate => ImpostorScores.Count(s => s >= Thresholds.Possible) / (double)Math.Max(1, ImpostorScores.Length);
}

/// <summary>
/// Chooses verdict thresholds from the catalogue itself, never from query answers. Each sampled
/// catalogue picture yields a synthetic photo (<see cref="SyntheticViews"/>); matched against the
/// whole catalogue its own object's score is a genuine score, and matched with its own object left
/// out the best score is an impostor score (the photo of something not in the catalogue, with the
/// closest look-alike present). "match" is set so that at most <see cref="TargetFalseMatchRate"/> of
/// impostors reach it; "possible" so that at most <see cref="PossibleImpostorRate"/> of impostors reach it.
/// </summary>
public sealed class Calibrator(Matcher matcher, ICatalogStore store)
{
    public double TargetFalseMatchRate { get; init; } = 0.02;

    /// <summary>
    /// Share of impostor photos allowed to reach "possible" (work for an officer, not an alarm). Half:
    /// "possible" sits at the impostor median. A missed stolen object crosses a border, while a
    /// "possible" costs an officer a look; at one in ten (0.10) a sixth of the genuine synthetic views
    /// fell below "possible" and were answered "no match", so recall wins until stronger evidence
    /// (local features) separates look-alikes. A deployment that prefers fewer looks lowers it.
    /// </summary>
    public double PossibleImpostorRate { get; init; } = 0.5;

    /// <summary>Genuine views above "match" allowed to fall to "possible" for too small a lead.</summary>
    public double MarginLossRate { get; init; } = 0.05;

    public CalibrationResult Calibrate(int samples, int seed, IProgress<int>? progress = null)
    {
        var (chosen, owners) = Sample(store, samples, seed);
        var genuine = new float[chosen.Count];
        var impostor = new float[chosen.Count];
        var genuineMargin = new float[chosen.Count];
        var traces = new IReadOnlyList<StepAnswer>[chosen.Count * 2];
        int done = 0;
        Parallel.For(0, chosen.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (view, objectId, alsoInView) = MakeTrial(matcher.Describer, store, chosen, owners, seed, i);
            // A picture pasted among other catalogue pictures: those objects are in the view too, and
            // would be a fair runner-up (or a fair find), so they take part in neither trial.
            var others = alsoInView.Count == 0 ? null : new HashSet<string>(alsoInView);

            // Every step of the cascade, never stopping: the last step is the full match the thresholds are set on.
            // Both trials search with one described photo: its vectors, regions, turns and keypoints are
            // computed once (they do not depend on what is left out).
            var photo = matcher.Describer.Query(view);
            var all = matcher.Trace(photo, new MatchRequest { TopK = 10, ExcludeObjectIds = others });
            var full = all[^1].Judgement;
            genuine[i] = full.Ranked.Take(10).FirstOrDefault(c => c.ObjectId == objectId)?.Score ?? 0;
            genuineMargin[i] = full.Best?.ObjectId == objectId ? full.Margin : float.NaN;
            var without = matcher.Trace(photo, new MatchRequest { TopK = 1, ExcludeObjectIds = new HashSet<string>([objectId, .. others ?? []]) });
            impostor[i] = without[^1].Judgement.Best?.Score ?? 0;
            traces[2 * i] = all.Select(s => StepAnswer.Of(s.Step, s.Judgement, matcher.Settings.MaxColourShift)).ToList();
            traces[2 * i + 1] = without.Select(s => StepAnswer.Of(s.Step, s.Judgement, matcher.Settings.MaxColourShift)).ToList();
            progress?.Report(Interlocked.Increment(ref done));
        });

        float match = Quantile(impostor, 1 - TargetFalseMatchRate);
        // "possible" at a chosen share of innocent photos: the evidence (geometric verification) is what
        // lifts genuine views above it, not a threshold lowered to reach them.
        float possible = Math.Min(match, Quantile(impostor, 1 - PossibleImpostorRate));
        // The lead a genuine photo usually has over the runner-up; most look-alikes have less.
        var margins = genuineMargin.Where((m, i) => !float.IsNaN(m) && genuine[i] >= match).ToArray();
        float minMargin = margins.Length > 0 ? Quantile(margins, MarginLossRate) : new VerdictThresholds().MinMargin;
        var thresholds = KeepThresholds ? matcher.Settings.Thresholds : matcher.Settings.Thresholds with
        {
            Match = (float)Math.Round(match + 0.005, 3),
            Possible = (float)Math.Round(possible, 3),
            MinMargin = (float)Math.Round(minMargin, 3),
        };
        // The stand-out rule is chosen on the full match's answers, against these thresholds' verdicts.
        StandOutCalibration? standOut = null;
        if (StandOut is { } standOutCalibrator)
        {
            standOut = standOutCalibrator.Choose(traces.Where((_, i) => i % 2 == 0).Select(t => t[^1]).ToList(), traces.Where((_, i) => i % 2 == 1).Select(t => t[^1]).ToList(), thresholds);
            thresholds = thresholds with { MinStandOut = standOut.Chosen.MinStandOut, StandOutStatistic = standOut.Chosen.Statistic };
        }
        // The cascade's rules are judged against the verdicts of these thresholds: the traces are judged again with them.
        var rejudged = traces.Select(t => t.Select(a => a.JudgedBy(thresholds)).ToList()).ToList<IReadOnlyList<StepAnswer>>();
        var cascade = new CascadeCalibrator { TargetChangedRate = TargetCascadeChangeRate, NoMatchChangedRate = TargetNoMatchChangeRate, ChooseUnverifiedRule = ChooseUnverifiedRule }.Choose(rejudged, matcher.Settings.Cascade, thresholds);
        return new CalibrationResult(thresholds, chosen.Count, genuine, impostor) { Cascade = cascade, Traces = rejudged, StandOut = standOut };
    }

    /// <summary>
    /// Chooses the stand-out rule of "possible" (<see cref="VerdictThresholds.MinStandOut"/>) on the same trials;
    /// null keeps the matcher's (<c>--cascade-only</c>).
    /// </summary>
    public StandOutCalibrator? StandOut { get; init; } = new();

    /// <summary>Keep the matcher's verdict thresholds and choose only the cascade's rules for them.</summary>
    public bool KeepThresholds { get; init; }

    /// <summary>Share of trials whose answer the cascade may change against the full match (<see cref="CascadeCalibrator"/>).</summary>
    public double TargetCascadeChangeRate { get; init; } = 0.005;

    /// <summary>Also choose the cascade's "nothing lines up" rule (<see cref="CascadeCalibrator.ChooseUnverifiedRule"/>; off by default).</summary>
    public bool ChooseUnverifiedRule { get; init; }

    /// <summary>Share of trials whose answer the cascade's "no match" rule may change (<see cref="CascadeCalibrator.NoMatchChangedRate"/>; none by default).</summary>
    public double TargetNoMatchChangeRate { get; init; }

    /// <summary>
    /// The catalogue pictures to make synthetic views of, shuffled by <paramref name="seed"/> (each
    /// several times when there are more samples than pictures: each view is drawn afresh, which
    /// steadies the tail quantiles on a small catalogue), and each picture's object.
    /// </summary>
    /// <summary>
    /// The synthetic photo of sample <paramref name="index"/> (the same for a given seed, whichever
    /// calibration asks): the view, its object, and the objects of the other catalogue pictures it was
    /// pasted among (also in the photo, so neither a fair runner-up nor a fair find), if any.
    /// </summary>
    internal static (RgbImage View, string ObjectId, IReadOnlyCollection<string> AlsoInView) MakeTrial(
        ImageDescriber describer, ICatalogStore store, List<string> chosen, Dictionary<string, string> owners, int seed, int index)
    {
        var local = new Random(seed * 7919 + index);
        var picture = describer.Decode(store.GetImageBytes(chosen[index])!);
        string objectId = owners[chosen[index]];
        var backgroundId = chosen[(index + 1 + local.Next(Math.Max(1, chosen.Count - 1))) % chosen.Count];
        // Up to four pictures of other objects for a cluttered scene: the first as before, the rest drawn
        // apart (another seed), so views that paste nothing are the same as before the clutter views.
        var extra = new Random(seed * 7919 + index + 104_729);
        var otherIds = new List<string>();
        foreach (var id in new[] { backgroundId }.Concat(Enumerable.Range(0, 8).Select(_ => chosen[extra.Next(chosen.Count)])))
        {
            if (otherIds.Count < 4 && owners[id] != objectId && otherIds.All(o => owners[o] != owners[id]))
                otherIds.Add(id);
        }
        if (owners[backgroundId] == objectId)
            otherIds.Clear(); // as before: a trial whose drawn background is its own object pastes nothing
        var others = otherIds.Select(id => (Func<RgbImage>)(() => describer.Decode(store.GetImageBytes(id)!))).ToList();
        var view = SyntheticViews.Make(picture, others, local, out int used);
        return (view, objectId, otherIds.Take(used).Select(id => owners[id]).ToHashSet());
    }

    internal static (List<string> Chosen, Dictionary<string, string> Owners) Sample(ICatalogStore store, int samples, int seed)
    {
        var images = store.EnumerateImages().Select(i => i.ImageId).ToList();
        var owners = new Dictionary<string, string>();
        foreach (var objectId in store.SearchText(null, SearchFilter.None, int.MaxValue).Select(o => o.ObjectId))
        {
            foreach (var image in store.GetImages(objectId))
                owners.TryAdd(image.ImageId, objectId);
        }
        var random = new Random(seed);
        var shuffled = images.Where(owners.ContainsKey).OrderBy(_ => random.Next()).ToList();
        var chosen = shuffled.Count == 0 ? [] : Enumerable.Range(0, samples).Select(i => shuffled[i % shuffled.Count]).ToList();
        return (chosen, owners);
    }

    public static float Quantile(float[] values, double fraction)
    {
        if (values.Length == 0)
            return 0;
        var sorted = values.Order().ToArray();
        int index = Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[index];
    }
}
