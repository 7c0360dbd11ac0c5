namespace ArtMatch.Core.Matching.Stages;

/// <summary>
/// The score added for geometric agreement, measured three ways: CNN cells (inliers), keypoints and
/// SIFT features. All tell that the layout is the same, so they do not add up: the stronger of the two
/// local-feature checks counts for the share of agreement the CNN check could not show. A whole-object
/// photo the CNN verified gets the CNN's bonus; a close-up the CNN cells cannot resolve, or a photo
/// from another place and light, gets the local features' larger one.
/// </summary>
public sealed record GeometricScore(float InlierBonus, int InlierFloor, int InlierCap, float KeypointBonus, int KeypointFloor, int KeypointCap)
{
    public float SiftBonus { get; init; }
    public int SiftFloor { get; init; }
    public int SiftCap { get; init; }

    public static GeometricScore From(MatchSettings s) => new(s.InlierBonus, s.InlierFloor, s.InlierCap, s.KeypointBonus, s.KeypointFloor, s.KeypointCap)
    {
        SiftBonus = s.SiftBonus, SiftFloor = s.SiftFloor, SiftCap = s.SiftCap,
    };

    public float Bonus(int inliers, int keypointInliers, int siftInliers = 0)
    {
        float cnn = Agreement(inliers, InlierFloor, InlierCap);
        float keypoints = KeypointBonus * Agreement(keypointInliers, KeypointFloor, KeypointCap);
        float sift = SiftBonus * Agreement(siftInliers, SiftFloor, SiftCap);
        return InlierBonus * cnn + Math.Max(keypoints, sift) * (1 - cnn);
    }

    /// <summary>0 at <paramref name="floor"/> inliers (what chance gives), growing linearly to 1 at <paramref name="cap"/>.</summary>
    public static float Agreement(int inliers, int floor, int cap) =>
        cap <= floor ? 0 : Math.Clamp((float)(inliers - floor) / (cap - floor), 0, 1);
}

/// <summary>
/// Scores the leaders (plain cosine plus geometric bonus, the scale the thresholds know), ranks them
/// (by the whitened similarity when the store whitens), measures the best one's lead and how far it
/// stands out from the rest (<see cref="StandOut"/>, on the rank scores) and judges.
/// </summary>
public sealed class JudgeStage(JudgeStage.Options options) : IMatchStage
{
    /// <summary>The thresholds, the geometric bonus, and the colour shift beyond which a candidate is at most "possible".</summary>
    public sealed record Options(VerdictThresholds Thresholds, GeometricScore Geometry, float MaxColourShift)
    {
        public static Options From(MatchSettings s) => new(s.Thresholds, GeometricScore.From(s), s.MaxColourShift);
    }

    public string Name => "judge";

    public void Run(MatchContext context) => context.Judgement = Judge(context.Leaders, context.KeypointHits, context.SiftHits);

    public Judgement Judge(IReadOnlyList<Leader> leaders, IReadOnlyDictionary<string, Keypoints.KeypointCandidate> keypointHits,
        IReadOnlyDictionary<string, Sift.SiftCandidate>? siftHits = null)
    {
        var candidates = new List<Candidate>(leaders.Count);
        foreach (var leader in leaders)
        {
            var (hit, source, plain) = leader.Fused;
            int keypointInliers = keypointHits.TryGetValue(hit.ObjectId, out var keypointHit) ? keypointHit.Inliers : 0;
            int siftInliers = siftHits?.TryGetValue(hit.ObjectId, out var siftHit) == true ? siftHit.Inliers : 0;
            float bonus = options.Geometry.Bonus(leader.Inliers, keypointInliers, siftInliers);
            float score = plain + bonus;
            candidates.Add(new Candidate(hit.ObjectId, hit.ImageId, score, plain, leader.Inliers, Verdict(score, leader.ColourShift))
            {
                ColourShift = leader.ColourShift,
                RankScore = hit.RankScore + bonus,
                KeypointInliers = keypointInliers,
                SiftInliers = siftInliers,
                Source = source,
            });
        }
        var sorted = candidates.OrderByDescending(c => c.RankScore).ThenBy(c => c.ObjectId, StringComparer.Ordinal).ToList();
        float margin = Margin(sorted);
        if (sorted.Count > 0)
        {
            var standOut = StandOut.Measure(sorted.Select(c => c.RankScore).ToList(), options.Thresholds.StandOutCohort);
            sorted[0] = sorted[0] with { Verdict = Verdict(sorted[0].Score, sorted[0].ColourShift, margin, standOut), StandOut = standOut };
        }
        return new Judgement(sorted, margin, sorted.Count > 0 ? sorted[0].Verdict : Matching.Verdict.NoMatch);
    }

    /// <summary>
    /// The lead of the first over the strongest other candidate on the calibrated scale; when the whitened
    /// ranking put first an object whose plain score trails another's, the lead is negative: no "match".
    /// </summary>
    public static float Margin(IReadOnlyList<Candidate> sorted) =>
        sorted.Count switch { 0 => 0, 1 => sorted[0].Score, _ => sorted[0].Score - sorted.Skip(1).Max(c => c.Score) };

    /// <summary>
    /// The verdict from the score (and, for the best candidate, the lead and how far it stands out from the
    /// others), at most "possible" when the matched parts differ in colour: same design, other material or
    /// paint, for an officer to judge.
    /// </summary>
    public Verdict Verdict(float score, float? colourShift, float? margin = null, StandOut? standOut = null)
    {
        var verdict = margin is { } lead ? options.Thresholds.Judge(score, lead, standOut) : options.Thresholds.Judge(score);
        return verdict == Matching.Verdict.Match && colourShift > options.MaxColourShift ? Matching.Verdict.Possible : verdict;
    }
}
