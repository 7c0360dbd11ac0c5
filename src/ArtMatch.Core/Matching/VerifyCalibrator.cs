using ArtMatch.Core.Catalog;

namespace ArtMatch.Core.Matching;

public sealed record VerifyCalibrationResult(VerifyThresholds Thresholds, int Pairs, float[] GenuineScores, float[] ImpostorScores)
{
    /// <summary>Share of genuine pairs at or above "same" on the score alone.</summary>
    public double GenuineSameRate => GenuineScores.Count(s => s >= Thresholds.Same) / (double)Math.Max(1, GenuineScores.Length);

    public double ImpostorSameRate => ImpostorScores.Count(s => s >= Thresholds.Same) / (double)Math.Max(1, ImpostorScores.Length);

    /// <summary>Share of genuine pairs whose score backs a "possible" (<see cref="VerifyThresholds.Evidence"/>).</summary>
    public double GenuineEvidenceRate => GenuineScores.Count(s => s >= Thresholds.Evidence) / (double)Math.Max(1, GenuineScores.Length);

    public double ImpostorEvidenceRate => ImpostorScores.Count(s => s >= Thresholds.Evidence) / (double)Math.Max(1, ImpostorScores.Length);
}

/// <summary>
/// Chooses the thresholds of 1:1 verification from the catalogue itself, never from query answers.
/// Each sampled catalogue picture yields a synthetic photo (<see cref="SyntheticViews"/>, as
/// <see cref="Calibrator"/> makes them); verified against its own object it gives a genuine score,
/// and verified against the object Match finds most similar with its own object left out it gives a
/// near-miss impostor score: the certificate of a look-alike presented with this object. "same" is
/// set so that at most <see cref="TargetFalseAcceptRate"/> of impostors reach it.
/// </summary>
public sealed class VerifyCalibrator(Matcher matcher, Verifier verifier, ICatalogStore store)
{
    public double TargetFalseAcceptRate { get; init; } = 0.01;

    /// <summary>Genuine pairs allowed below "uncertain" (they would be answered "different").</summary>
    public double TargetMissRate { get; init; } = 0.05;

    /// <summary>Share of impostor pairs allowed to reach "uncertain".</summary>
    public double MaxUncertainRate { get; init; } = 0.50;

    /// <summary>
    /// Share of near-miss impostors whose 1:1 score may back Match's "possible" (<see cref="VerifyThresholds.Evidence"/>):
    /// an innocent photo whose closest catalogue look-alike reached "possible" on Match's score keeps it
    /// only as often as this (at most; fewer reach "possible" in the first place). 0.10: one innocent look-alike in ten.
    /// </summary>
    public double EvidenceRate { get; init; } = 0.10;

    public VerifyCalibrationResult Calibrate(int samples, int seed, IProgress<int>? progress = null)
    {
        var (chosen, owners) = Calibrator.Sample(store, samples, seed);
        var genuine = new float[chosen.Count];
        var impostor = new float[chosen.Count];
        int done = 0;
        Parallel.For(0, chosen.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (view, objectId, alsoInView) = Calibrator.MakeTrial(matcher.Describer, store, chosen, owners, seed, i);
            var photo = verifier.Describe(view);
            genuine[i] = verifier.VerifyObject(photo, objectId).Score;
            // The look-alike: what Match puts first once the object itself (and a pasted view's other
            // objects, which are really in the photo) is left out.
            var excluded = new HashSet<string>(alsoInView) { objectId };
            var rival = matcher.Match(view, new MatchRequest { TopK = 1, ExcludeObjectIds = excluded }).Best;
            impostor[i] = rival is null ? 0 : verifier.VerifyObject(photo, rival.ObjectId).Score;
            progress?.Report(Interlocked.Increment(ref done));
        });

        float same = Calibrator.Quantile(impostor, 1 - TargetFalseAcceptRate);
        float uncertain = Math.Min(same, Math.Max(Calibrator.Quantile(genuine, TargetMissRate), Calibrator.Quantile(impostor, 1 - MaxUncertainRate)));
        float evidence = Calibrator.Quantile(impostor, 1 - EvidenceRate);
        var thresholds = new VerifyThresholds
        {
            Same = (float)Math.Round(same + 0.005, 3), Uncertain = (float)Math.Round(uncertain, 3), Evidence = (float)Math.Round(evidence + 0.0005, 3),
        };
        return new VerifyCalibrationResult(thresholds, chosen.Count, genuine, impostor);
    }
}
