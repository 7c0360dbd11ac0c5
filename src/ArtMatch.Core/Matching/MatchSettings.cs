namespace ArtMatch.Core.Matching;

/// <summary>
/// Where scores turn into verdicts. Scores are cosine similarity plus a bonus for geometric
/// agreement, so they are comparable across queries. The defaults come from calibration on
/// synthetic pairs made from catalogue images (see <c>artmatch calibrate</c> and README); a
/// deployment overrides them in its config file.
/// </summary>
public sealed record VerdictThresholds
{
    // Defaults: `artmatch calibrate --samples 1000 --seed 1` on a store of the development catalogue
    // as import leaves it (whitened, with keypoints, no SIFT), from synthetic photos of catalogue pictures
    // (close-ups and screen photos included) with leave-one-out impostors; no query answers used.
    // "possible" at the impostor median (--possible-rate 0.5, the same run's impostor_median): at the
    // impostor 90th percentile (0.943) only 0.836 of the genuine views reached "possible"; genuine match
    // rate 0.798, impostor match 0.018.

    /// <summary>At or above: "match" (an alarm).</summary>
    public float Match { get; init; } = 1.087f;

    /// <summary>At or above: "possible" (an officer should look).</summary>
    public float Possible { get; init; } = 0.827f;

    /// <summary>
    /// How far the best candidate must lead the next one for "match": when two catalogue objects
    /// explain the photo almost equally (look-alike coins, prints of one series), the photo is
    /// ambiguous and an officer should decide ("possible"). An object-level ratio test.
    /// </summary>
    public float MinMargin { get; init; } = 0.193f;

    /// <summary>
    /// How far the best candidate must stand out from the photo's other candidates (<see cref="StandOutStatistic"/>
    /// over the first <see cref="StandOutCohort"/>, <see cref="Matching.StandOut"/>) for a "possible" on the score
    /// (at or above <see cref="Possible"/>, below <see cref="Match"/>) to stay "possible"; below it the photo
    /// is answered "no match": an innocent photo resembles many catalogue objects about equally, a photo of a
    /// catalogued object resembles it more than the rest. A score at or above <see cref="Match"/> is not
    /// affected (a "match", or a "possible" held back by the lead or the colours). Off for a photo with fewer
    /// candidates than the cohort (a catalogue smaller than it, or <c>verify_top</c> and the caller's top k
    /// both below it). 0 turns the rule off. From <c>artmatch calibrate</c>: the lowest value that leaves at
    /// most <c>--stand-out-impostor-rate</c> (0.15) of the leave-one-out impostors "possible", unless that turns
    /// more than <c>--stand-out-genuine-loss</c> (0.02) of the genuine views into "no match" (then the highest
    /// value within that loss). Off by default: on the development catalogue (<c>calibrate --stand-out-only
    /// --samples 1000 --seed 1</c>) the loss cap chose z-score 3.522 (impostors "possible" 0.441 -> 0.158), which
    /// on the dev photos took innocent photos answered "possible" from 0.486 to 0.232 but missed objects from
    /// 0.012 to 0.035, real photos from 1 to 9 of 34 (benchmarks/RESULTS.md, issue 18); a deployment that
    /// prefers fewer looks sets it.
    /// </summary>
    public float MinStandOut { get; init; }

    /// <summary>What <see cref="MinStandOut"/> is measured in: <c>z_score</c> (default) or <c>gap_ratio</c>; calibrate chooses the one that cuts more impostors.</summary>
    public StandOutStatistic StandOutStatistic { get; init; } = StandOutStatistic.ZScore;

    /// <summary>Candidates the stand-out is measured over, the best included (3 to 100; the judge sees <c>verify_top</c> or the caller's top k of them).</summary>
    public int StandOutCohort { get; init; } = 10;

    /// <summary>The verdict for the best candidate: its score and its lead over the runner-up.</summary>
    public Verdict Judge(float score, float margin) =>
        score >= Match && margin >= MinMargin ? Verdict.Match : score >= Possible ? Verdict.Possible : Verdict.NoMatch;

    /// <summary>The verdict for the best candidate with its stand-out (null: too few candidates, the rule does not apply).</summary>
    public Verdict Judge(float score, float margin, StandOut? standOut)
    {
        var verdict = Judge(score, margin);
        return verdict == Verdict.Possible && score < Match && !StandsOut(standOut) ? Verdict.NoMatch : verdict;
    }

    /// <summary>True when the rule is off, does not apply (too few candidates) or the stand-out reaches <see cref="MinStandOut"/>.</summary>
    public bool StandsOut(StandOut? standOut) => MinStandOut <= 0 || standOut is not { } s || s.Of(StandOutStatistic) >= MinStandOut;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first threshold that cannot work.</summary>
    public void Validate()
    {
        if (!float.IsFinite(MinStandOut) || MinStandOut < 0)
            throw new ArgumentException($"match.thresholds.min_stand_out must be 0 (off) or more (got {MinStandOut}).");
        if (!Enum.IsDefined(StandOutStatistic))
            throw new ArgumentException($"match.thresholds.stand_out_statistic must be z_score or gap_ratio (got {StandOutStatistic}).");
        if (StandOutCohort is < 3 or > 100)
            throw new ArgumentException($"match.thresholds.stand_out_cohort must be 3 to 100 candidates (got {StandOutCohort}).");
    }

    /// <summary>The verdict for a candidate on its score alone (lower-ranked candidates).</summary>
    public Verdict Judge(float score) => score >= Match ? Verdict.Match : score >= Possible ? Verdict.Possible : Verdict.NoMatch;
}

/// <summary>How a query is searched and re-checked.</summary>
public sealed record MatchSettings
{
    /// <summary>Objects fetched from the store per query vector before fusion.</summary>
    public int Shortlist { get; init; } = 30;

    /// <summary>Best fused candidates re-checked geometrically (0 turns verification off).</summary>
    public int VerifyTop { get; init; } = 10;

    /// <summary>Score added for full geometric agreement (<see cref="InlierCap"/> inliers or more).</summary>
    public float InlierBonus { get; init; } = 0.25f;

    /// <summary>Inliers beyond which agreement adds nothing; below, the bonus grows linearly from <see cref="InlierFloor"/>.</summary>
    public int InlierCap { get; init; } = 12;

    /// <summary>Inliers that chance alone gives two unrelated pictures; they earn no bonus.</summary>
    public int InlierFloor { get; init; } = 3;

    /// <summary>
    /// Score added when the photo's keypoints line up with a catalogue picture's (<see cref="KeypointCap"/>
    /// inliers or more) and the CNN check found no agreement (it counts for the share the CNN check
    /// could not show); 0 turns the keypoint search off. Large, because corners agreeing pixel for
    /// pixel are near proof of the same picture, and a close-up has almost no CNN similarity to add to it.
    /// </summary>
    public float KeypointBonus { get; init; } = 0.8f;

    /// <summary>Keypoint inliers two different pictures can reach by chance (a transform from one match lines up a few more); they earn nothing.</summary>
    public int KeypointFloor { get; init; } = 4;

    /// <summary>Keypoint inliers that earn the full <see cref="KeypointBonus"/>.</summary>
    public int KeypointCap { get; init; } = 16;

    /// <summary>
    /// Score added when the photo's SIFT features agree with a catalogue picture's on one homography
    /// (<see cref="SiftCap"/> inliers or more) and the CNN check found no agreement; 0 turns the SIFT
    /// stage off. Off by default: on the dev set (benchmarks/RESULTS.md, issue 18) 0.8 with these floors
    /// changed no ranking (top1 and real top1 the same), raised false matches 0.017 -> 0.021 and tripled
    /// the time per query; a deployment turns it on with "sift" in the config and a calibrated bonus.
    /// </summary>
    public float SiftBonus { get; init; }

    /// <summary>SIFT inliers (after the scale and rotation check) two unrelated pictures can reach by chance; they earn nothing.</summary>
    public int SiftFloor { get; init; } = 6;

    /// <summary>SIFT inliers that earn the full <see cref="SiftBonus"/>.</summary>
    public int SiftCap { get; init; } = 24;

    /// <summary>Also verify the photo's region that found a candidate, closer up (objects small in a scene).</summary>
    public bool VerifyQueryRegion { get; init; } = true;

    /// <summary>
    /// Colour difference (log-chromaticity, see <see cref="ColourCheck"/>) beyond which a candidate is at
    /// most "possible". 0.5 is a factor of 1.65 between two channels' ratios: more than a camera's
    /// white-balance error or a change of light makes, less than gold against silver (a gold and a
    /// silver yen coin of one design measured 0.58).
    /// </summary>
    public float MaxColourShift { get; init; } = 0.5f;

    /// <summary>Minimum cosine for two local features to count as a match.</summary>
    public float LocalMinSimilarity { get; init; } = 0.4f;

    public VerdictThresholds Thresholds { get; init; } = new();

    /// <summary>1:1 verification (<see cref="Verifier"/>): its thresholds, from <c>artmatch calibrate --verify</c>, and its extra evidence.</summary>
    public VerifySettings Verification { get; init; } = new();

    /// <summary>The SIFT agreement a "possible" must have (<see cref="SiftEvidence"/>); off by default (floor 0).</summary>
    public SiftEvidenceSettings SiftEvidence { get; init; } = new();

    /// <summary>Which stages run for which photo: the cheap pass first, the costlier searches only when the answer is not yet certain.</summary>
    public CascadeSettings Cascade { get; init; } = new();

    public static MatchSettings Plain { get; } = new() { VerifyTop = 0, KeypointBonus = 0, SiftBonus = 0 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work (the thresholds, the cascade's rules).</summary>
    public void Validate()
    {
        Thresholds.Validate();
        Cascade.Validate();
    }
}
