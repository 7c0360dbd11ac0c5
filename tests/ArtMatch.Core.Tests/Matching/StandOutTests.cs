using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching;

/// <summary>The stand-out of the best candidate, and the rule that a score-"possible" needs it, on hand-made scores.</summary>
public class StandOutTests
{
    private static readonly VerdictThresholds Thresholds = new() { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f, MinStandOut = 3, StandOutCohort = 10 };

    private static JudgeStage JudgeWith(VerdictThresholds thresholds) => new(JudgeStage.Options.From(new MatchSettings { Thresholds = thresholds, MaxColourShift = 0.5f }));

    private static Leader Lead(string id, float plain, float? whitened = null, int inliers = 0) =>
        new(new FusedHit(new VectorHit(id, id + "1", 0, plain) { WhitenedScore = whitened }, HitSource.WholePhoto, plain)) { Inliers = inliers };

    private static readonly Dictionary<string, KeypointCandidate> NoKeypoints = [];

    /// <summary>The best at <paramref name="best"/>, nine others evenly from 0.60 to 0.68 (mean 0.64, population std ~0.0258).</summary>
    private static List<Leader> Field(float best, Func<float, float?>? whiten = null)
    {
        var leaders = new List<Leader> { Lead("best", best, whiten?.Invoke(best)) };
        for (int i = 0; i < 9; i++)
            leaders.Add(Lead($"o{i}", 0.60f + 0.01f * i, whiten?.Invoke(0.60f + 0.01f * i)));
        return leaders;
    }

    [Fact]
    public void Measure_ZScoreAndGapRatioOverTheCohort()
    {
        float[] scores = [0.9f, 0.68f, 0.67f, 0.66f, 0.65f, 0.64f, 0.63f, 0.62f, 0.61f, 0.60f, 0.1f];
        var standOut = StandOut.Measure(scores, 10)!.Value;

        double std = Math.Sqrt(Enumerable.Range(0, 9).Sum(i => Math.Pow(0.60 + 0.01 * i - 0.64, 2)) / 9);
        Assert.Equal((0.9 - 0.64) / std, standOut.ZScore, 2);
        Assert.Equal((0.9f - 0.68f) / (0.9f - 0.60f), standOut.GapRatio, 4); // the 11th score is outside the cohort
        Assert.Equal(standOut.GapRatio, standOut.Of(StandOutStatistic.GapRatio));
    }

    [Fact]
    public void Measure_FewerCandidatesThanTheCohort_Null()
    {
        Assert.Null(StandOut.Measure([0.9f, 0.5f, 0.4f, 0.3f], 10));
        Assert.NotNull(StandOut.Measure([0.9f, 0.5f, 0.4f, 0.3f], 4));
    }

    [Fact]
    public void Measure_OthersAllAlike_LeadStandsOutFarNoLeadNotAtAll()
    {
        Assert.True(StandOut.Measure([0.9f, 0.5f, 0.5f, 0.5f], 4)!.Value.ZScore > 1000);
        Assert.Equal(0, StandOut.Measure([0.5f, 0.5f, 0.5f, 0.5f], 4)!.Value.ZScore);
        Assert.Equal(0, StandOut.Measure([0.5f, 0.5f, 0.5f, 0.5f], 4)!.Value.GapRatio);
    }

    [Fact]
    public void Judge_PossibleAmongEqualLookAlikes_NoMatch()
    {
        // 0.70 over nine others at 0.60-0.68: 2.3 standard deviations, below the 3 asked.
        var judgement = JudgeWith(Thresholds).Judge(Field(0.70f), NoKeypoints);

        Assert.Equal("best", judgement.Best!.ObjectId);
        Assert.InRange(judgement.Best.StandOut!.Value.ZScore, 2.2f, 2.4f);
        Assert.Equal(Verdict.NoMatch, judgement.Verdict);
        Assert.Equal(Verdict.Possible, JudgeWith(Thresholds with { MinStandOut = 0 }).Judge(Field(0.70f), NoKeypoints).Verdict);
    }

    [Fact]
    public void Judge_PossibleThatStandsOut_StaysPossible()
    {
        var judgement = JudgeWith(Thresholds).Judge(Field(0.80f), NoKeypoints);

        Assert.True(judgement.Best!.StandOut!.Value.ZScore >= 3);
        Assert.Equal(Verdict.Possible, judgement.Verdict);
    }

    [Fact]
    public void Judge_MatchScoreHeldBackByTheLead_NotAffected()
    {
        // Two near-identical objects above "match": the lead holds it at "possible", the stand-out rule does not apply.
        var leaders = Field(0.60f);
        leaders[0] = Lead("best", 0.80f, inliers: 12);
        leaders[1] = Lead("twin", 0.79f, inliers: 12);
        var judgement = JudgeWith(Thresholds with { MinStandOut = 100 }).Judge(leaders, NoKeypoints);

        Assert.True(judgement.Best!.Score >= Thresholds.Match);
        Assert.Equal(Verdict.Possible, judgement.Verdict);
    }

    [Fact]
    public void Judge_FewerCandidatesThanTheCohort_RuleOff()
    {
        var judgement = JudgeWith(Thresholds with { MinStandOut = 100 }).Judge(Field(0.70f).Take(5).ToList(), NoKeypoints);

        Assert.Null(judgement.Best!.StandOut);
        Assert.Equal(Verdict.Possible, judgement.Verdict);
    }

    [Fact]
    public void Judge_WhitenedStore_MeasuresTheRankScores()
    {
        // On the plain scores the lead is 2.3 standard deviations (below 3); on the whitened ranking it stands far out.
        var leaders = Field(0.70f, whiten: plain => plain >= 0.70f ? 0.9f : plain - 0.5f);
        var judgement = JudgeWith(Thresholds).Judge(leaders, NoKeypoints);

        Assert.True(judgement.Best!.StandOut!.Value.ZScore > 10);
        Assert.Equal(Verdict.Possible, judgement.Verdict);
    }

    [Fact]
    public void Judge_GapRatioStatistic_UsedWhenConfigured()
    {
        // Gap ratio of 0.70 over 0.68..0.60: 0.02 / 0.10 = 0.2.
        Assert.Equal(Verdict.NoMatch, JudgeWith(Thresholds with { StandOutStatistic = StandOutStatistic.GapRatio, MinStandOut = 0.25f }).Judge(Field(0.70f), NoKeypoints).Verdict);
        Assert.Equal(Verdict.Possible, JudgeWith(Thresholds with { StandOutStatistic = StandOutStatistic.GapRatio, MinStandOut = 0.15f }).Judge(Field(0.70f), NoKeypoints).Verdict);
    }

    [Fact]
    public void StepAnswer_JudgedBy_AppliesTheThresholdsStandOutRule()
    {
        var answer = new StepAnswer("regions", Verdict.Possible, "a", 0.8f, 0.1f) { StandOut = new StandOut(2.0f, 0.2f) };

        Assert.Equal(Verdict.NoMatch, answer.JudgedBy(Thresholds).Verdict);
        Assert.Equal(Verdict.Possible, answer.JudgedBy(Thresholds with { MinStandOut = 1.5f }).Verdict);
        Assert.Equal(Verdict.Possible, (answer with { StandOut = null }).JudgedBy(Thresholds).Verdict);
        Assert.Equal(Verdict.Match, (answer with { BestScore = 1.2f, Margin = 0.3f }).JudgedBy(Thresholds).Verdict);
    }
}
