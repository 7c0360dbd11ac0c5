namespace ArtMatch.Core.Matching;

/// <summary>What a 1:1 verification tells an officer: is the photographed object the one on the reference picture?</summary>
public enum VerifyVerdict
{
    Different = 0,
    Uncertain = 1,
    Same = 2,
}

/// <summary>
/// Where a verification score (plain cosine plus geometric agreement, the scale of
/// <see cref="VerdictThresholds"/>) turns into a verdict. The defaults come from
/// <c>artmatch calibrate --verify</c> on the development catalogue (synthetic views of each picture
/// against their own object, and against the most similar other object; no query answers).
/// </summary>
public sealed record VerifyThresholds
{
    // Defaults: `artmatch calibrate --verify --samples 200 --seed 1` on a store of the development
    // catalogue as import leaves it (whitened, keypoints; the verifier's own SIFT check): "same" lets
    // 1 % of the near-miss impostors through (impostor same rate 0.005, genuine same rate 0.915);
    // "uncertain" is the impostor median (above the genuine 5th percentile). No query answers used.

    /// <summary>At or above: "same" (the object is the one pictured).</summary>
    public float Same { get; init; } = 1.099f;

    /// <summary>At or above: "uncertain" (an officer should compare); below: "different".</summary>
    public float Uncertain { get; init; } = 0.827f;

    /// <summary>
    /// At or above: Match's "possible" stands (<see cref="PossibleEvidence"/>: the best candidate verified
    /// 1:1); below, the photo is answered "no match". 0 turns the check off. From <c>calibrate --verify</c>:
    /// the near-miss impostors' score that only <c>--evidence-rate</c> of them reach. Off by default: on the
    /// development catalogue (<c>calibrate --verify --samples 200 --seed 1</c>, rate 0.10) it is 0.947, and
    /// on the dev photos it took innocent photos answered "possible" from 0.494 to 0.183 but missed objects
    /// from 0.010 to 0.037 (benchmarks/RESULTS.md, issue 18); a deployment that prefers fewer looks sets it.
    /// </summary>
    public float Evidence { get; init; }

    public VerifyVerdict Judge(float score) => score >= Same ? VerifyVerdict.Same : score >= Uncertain ? VerifyVerdict.Uncertain : VerifyVerdict.Different;
}

/// <summary>How 1:1 verification weighs its evidence beyond Match's (<see cref="Verifier"/>).</summary>
public sealed record VerifySettings
{
    public VerifyThresholds Thresholds { get; init; } = new();

    /// <summary>SIFT features detected per picture, photo and reference alike (0 turns SIFT off).</summary>
    public int SiftFeatures { get; init; } = 2000;

    /// <summary>Lowe's ratio for SIFT pairs.</summary>
    public float SiftRatio { get; init; } = 0.8f;

    /// <summary>How far (pixels) a pair may lie from the fitted homography and still agree with it.</summary>
    public double ReprojectionPixels { get; init; } = 4;

    /// <summary>
    /// SIFT pairs agreeing on one homography that unrelated pictures reach by chance (under 12 in the
    /// feature engine's own tests); they earn nothing.
    /// </summary>
    public int SiftFloor { get; init; } = 10;

    /// <summary>Agreeing SIFT pairs that earn the full <see cref="SiftBonus"/>.</summary>
    public int SiftCap { get; init; } = 40;

    /// <summary>
    /// Score added for full SIFT agreement, on top of Match's score: a perspective-invariant check at the
    /// pixel level, which a look-alike (another coin of the series, another cartoon bird) does not pass
    /// however alike its layout is to the CNN.
    /// </summary>
    public float SiftBonus { get; init; } = 0.4f;
}
