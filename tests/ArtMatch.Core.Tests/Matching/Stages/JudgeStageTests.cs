using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching.Stages;

public class JudgeStageTests
{
    private static readonly MatchSettings Settings = new()
    {
        Thresholds = new VerdictThresholds { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f },
        InlierBonus = 0.25f, InlierFloor = 3, InlierCap = 12, KeypointBonus = 0.8f, KeypointFloor = 4, KeypointCap = 16, MaxColourShift = 0.5f,
    };

    private static readonly JudgeStage Judge = new(JudgeStage.Options.From(Settings));

    private static Leader Lead(string id, float plain, int inliers = 0, float? colourShift = null, float? whitened = null) =>
        new(new FusedHit(new VectorHit(id, id + "1", 0, plain) { WhitenedScore = whitened }, HitSource.WholePhoto, plain)) { Inliers = inliers, ColourShift = colourShift };

    private static readonly Dictionary<string, KeypointCandidate> NoKeypoints = [];

    [Fact]
    public void GeometricScore_CnnAndKeypointsDoNotAddUp()
    {
        var geometry = GeometricScore.From(Settings);
        Assert.Equal(0, geometry.Bonus(3, 4));
        Assert.Equal(0.25f, geometry.Bonus(12, 0), 5);
        Assert.Equal(0.8f, geometry.Bonus(0, 16), 5);
        // Full CNN agreement: the keypoints have no share left to add.
        Assert.Equal(0.25f, geometry.Bonus(20, 40), 5);
        // Four ninths of the CNN agreement: the keypoints count for the other five ninths.
        Assert.Equal(0.25f * 4 / 9 + 0.8f * 5 / 9, geometry.Bonus(7, 16), 4);
    }

    [Fact]
    public void Judge_VerifiedLeaderWellAhead_IsMatchWithItsMargin()
    {
        var judgement = Judge.Judge([Lead("b", 0.6f), Lead("a", 0.8f, inliers: 12)], NoKeypoints);

        Assert.Equal("a", judgement.Best!.ObjectId);
        Assert.Equal(1.05f, judgement.Best.Score, 4);
        Assert.Equal(1.05f - 0.6f, judgement.Margin, 4);
        Assert.Equal(Verdict.Match, judgement.Verdict);
    }

    [Fact]
    public void Judge_RunnerUpTooClose_IsOnlyPossible()
    {
        var judgement = Judge.Judge([Lead("a", 0.8f, inliers: 12), Lead("b", 0.75f, inliers: 12)], NoKeypoints);

        Assert.Equal(0.05f, judgement.Margin, 4);
        Assert.Equal(Verdict.Possible, judgement.Verdict);
        // Lower-ranked candidates are judged on their score alone.
        Assert.Equal(Verdict.Match, judgement.Ranked[1].Verdict);
    }

    [Fact]
    public void Judge_ColoursApart_IsAtMostPossible()
    {
        var judgement = Judge.Judge([Lead("a", 0.8f, inliers: 12, colourShift: 0.6f), Lead("b", 0.3f)], NoKeypoints);

        Assert.Equal(Verdict.Possible, judgement.Verdict);
        Assert.Equal(0.6f, judgement.Best!.ColourShift);
    }

    [Fact]
    public void Judge_WhitenedFirstTrailsOnPlainScore_NegativeMarginNoMatch()
    {
        var judgement = Judge.Judge([Lead("a", 0.9f, inliers: 12, whitened: 0.4f), Lead("b", 1.0f, inliers: 12, whitened: 0.2f)], NoKeypoints);

        Assert.Equal("a", judgement.Best!.ObjectId);
        Assert.True(judgement.Margin < 0);
        Assert.Equal(Verdict.Possible, judgement.Verdict);
    }

    [Fact]
    public void Judge_KeypointInliers_AddTheirBonus()
    {
        var keypoints = new Dictionary<string, KeypointCandidate> { ["a"] = new("a", "a1", 16, 20) };
        var judgement = Judge.Judge([Lead("a", 0.3f), Lead("b", 0.4f)], keypoints);

        Assert.Equal("a", judgement.Best!.ObjectId);
        Assert.Equal(16, judgement.Best.KeypointInliers);
        Assert.Equal(1.1f, judgement.Best.Score, 4);
        Assert.Equal(Verdict.Match, judgement.Verdict);
    }

    [Fact]
    public void Judge_NothingFound_NoMatch()
    {
        var judgement = Judge.Judge([], NoKeypoints);
        Assert.Null(judgement.Best);
        Assert.Equal(Verdict.NoMatch, judgement.Verdict);
    }
}
