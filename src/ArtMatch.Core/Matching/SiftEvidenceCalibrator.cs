using ArtMatch.Core.Catalog;

namespace ArtMatch.Core.Matching;

/// <summary>What <see cref="SiftEvidenceCalibrator"/> measured: per trial the inliers on the own object, the most on the checked look-alikes, and the look-alike's verdict on the score.</summary>
public sealed record SiftEvidenceCalibrationResult(int Floor, int Pairs, int[] Genuine, int[] Impostor, Verdict[] ImpostorVerdicts)
{
    /// <summary>Share of synthetic views whose own object reaches the floor.</summary>
    public double GenuineRate => Genuine.Count(i => i >= Floor) / (double)Math.Max(1, Genuine.Length);

    /// <summary>Share of trials (own object left out) where a checked look-alike reaches the floor.</summary>
    public double ImpostorRate => Impostor.Count(i => i >= Floor) / (double)Math.Max(1, Impostor.Length);

    /// <summary>As <see cref="ImpostorRate"/>, among the trials whose look-alike scored "possible" or more: those the check runs for.</summary>
    public double ImpostorRateAmongPossible
    {
        get
        {
            var checkedOnes = Enumerable.Range(0, Impostor.Length).Where(i => ImpostorVerdicts[i] != Verdict.NoMatch).ToList();
            return checkedOnes.Count(i => Impostor[i] >= Floor) / (double)Math.Max(1, checkedOnes.Count);
        }
    }

    /// <summary>The inliers at or above which a given share of impostor trials lie (upper quantile).</summary>
    public int ImpostorQuantile(double fraction) => (int)Calibrator.Quantile(Impostor.Select(i => (float)i).ToArray(), fraction);

    public int GenuineQuantile(double fraction) => (int)Calibrator.Quantile(Genuine.Select(i => (float)i).ToArray(), fraction);
}

/// <summary>
/// Chooses <see cref="SiftEvidenceSettings.Floor"/> from the catalogue itself, never from query answers.
/// Each sampled catalogue picture yields a synthetic photo (<see cref="SyntheticViews"/>, as
/// <see cref="Calibrator"/> makes them: edits, perspective, pasted in scenes, photographed off a
/// screen). Its SIFT inliers with its own object are a genuine trial; Match is run with the object
/// (and the objects pasted beside it) left out, and the most inliers any of the
/// <see cref="SiftEvidenceSettings.Candidates"/> it then ranks first reaches is a near-miss impostor
/// trial: an innocent photo whose closest look-alikes the check would be asked about. The floor is
/// the fewest inliers that at most <see cref="EvidenceRate"/> of impostor trials reach.
/// </summary>
public sealed class SiftEvidenceCalibrator(Matcher matcher, SiftEvidence evidence, ICatalogStore store)
{
    /// <summary>Share of near-miss impostor trials allowed to back a "possible". 0.10: one innocent look-alike in ten, as <see cref="VerifyCalibrator.EvidenceRate"/>.</summary>
    public double EvidenceRate { get; init; } = 0.10;

    public SiftEvidenceCalibrationResult Calibrate(int samples, int seed, IProgress<int>? progress = null)
    {
        var (chosen, owners) = Calibrator.Sample(store, samples, seed);
        var genuine = new int[chosen.Count];
        var impostor = new int[chosen.Count];
        var verdicts = new Verdict[chosen.Count];
        int done = 0;
        Parallel.For(0, chosen.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (view, objectId, alsoInView) = Calibrator.MakeTrial(matcher.Describer, store, chosen, owners, seed, i);
            var features = evidence.Describe(view);
            genuine[i] = evidence.Inliers(features, objectId);
            var excluded = new HashSet<string>(alsoInView) { objectId };
            var rivals = matcher.Match(view, new MatchRequest { TopK = evidence.Settings.Candidates, ExcludeObjectIds = excluded }).Candidates;
            verdicts[i] = rivals.Count > 0 ? rivals[0].Verdict : Verdict.NoMatch;
            impostor[i] = rivals.Select(r => evidence.Inliers(features, r.ObjectId)).DefaultIfEmpty(0).Max();
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new SiftEvidenceCalibrationResult(FloorFor(impostor, EvidenceRate), chosen.Count, genuine, impostor, verdicts);
    }

    /// <summary>The fewest inliers (at least 4, a homography's own) that at most <paramref name="rate"/> of the impostor trials reach.</summary>
    public static int FloorFor(IReadOnlyList<int> impostor, double rate)
    {
        int allowed = (int)Math.Floor(rate * impostor.Count);
        var descending = impostor.OrderDescending().ToArray();
        // Every value above the allowed count's must be excluded: the floor lies one above the first value past them.
        int floor = descending.Length > allowed ? descending[allowed] + 1 : 0;
        return Math.Max(4, floor);
    }
}
