using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

/// <summary>Choosing the stand-out a "possible" needs from synthetic distributions of calibration trials' answers.</summary>
public class StandOutCalibratorTests
{
    private static readonly VerdictThresholds Thresholds = new() { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f };

    private static StepAnswer Answer(float score, float z, float gap) => new("regions", Verdict.NoMatch, "a", score, 0.3f) { StandOut = new StandOut(z, gap) };

    /// <summary>
    /// 100 genuine trials: 60 clear matches, 30 "possible" with z 3.0..5.9 (gap 0.1 each: the gap ratio does not tell),
    /// 10 "no match". 100 impostors: 50 below "possible", 50 "possible" with z 0.5..2.95 (gap 0.1).
    /// </summary>
    private static (List<StepAnswer> Genuine, List<StepAnswer> Impostors) Trials()
    {
        var genuine = new List<StepAnswer>();
        for (int i = 0; i < 60; i++)
            genuine.Add(Answer(1.2f, 8, 0.9f));
        for (int i = 0; i < 30; i++)
            genuine.Add(Answer(0.8f, 3.0f + 0.1f * i, 0.1f));
        for (int i = 0; i < 10; i++)
            genuine.Add(Answer(0.5f, 1, 0.1f));
        var impostors = new List<StepAnswer>();
        for (int i = 0; i < 50; i++)
            impostors.Add(Answer(0.6f, 1, 0.1f));
        for (int i = 0; i < 50; i++)
            impostors.Add(Answer(0.8f, 0.5f + 0.05f * i, 0.1f));
        return (genuine, impostors);
    }

    [Fact]
    public void Choose_SeparatingStatistic_CutsImpostorsToTheTargetWithoutGenuineLoss()
    {
        var (genuine, impostors) = Trials();
        var result = new StandOutCalibrator { ImpostorPossibleRate = 0.15, GenuineLossRate = 0.02 }.Choose(genuine, impostors, Thresholds);

        Assert.Equal(StandOutStatistic.ZScore, result.Chosen.Statistic);
        // 15 of 100 impostors may stay: the 15 highest z (2.25..2.95) stay, the cut lies just above 2.20.
        Assert.InRange(result.Chosen.MinStandOut, 2.19f, 2.25f);
        Assert.Equal(50, result.Chosen.ImpostorPossibleBefore);
        Assert.Equal(15, result.Chosen.ImpostorPossibleAfter);
        Assert.Equal(30, result.Chosen.GenuinePossible);
        Assert.Equal(0, result.Chosen.GenuineLost);
        Assert.Equal(2, result.ByStatistic.Count);
    }

    [Fact]
    public void ChooseFor_StatisticThatDoesNotSeparate_StoppedByTheGenuineLossCap()
    {
        var (genuine, impostors) = Trials();
        var gap = new StandOutCalibrator { ImpostorPossibleRate = 0.15, GenuineLossRate = 0.02 }.ChooseFor(StandOutStatistic.GapRatio, genuine, impostors, Thresholds);

        // Every "possible" has gap 0.1: any cut that removes an impostor removes all 30 genuine "possible"s; the cap allows 2.
        Assert.True(gap.MinStandOut <= 0.1f);
        Assert.Equal(0, gap.GenuineLost);
        Assert.Equal(50, gap.ImpostorPossibleAfter);
    }

    [Fact]
    public void ChooseFor_OverlappingDistributions_LossCapWinsOverTheTarget()
    {
        var (genuine, impostors) = Trials();
        // Genuine "possible"s now spread over z 1.0..3.9: reaching 15 impostors would cut genuine views below 2.25.
        for (int i = 0; i < 30; i++)
            genuine[60 + i] = Answer(0.8f, 1.0f + 0.1f * i, 0.1f);
        var z = new StandOutCalibrator { ImpostorPossibleRate = 0.15, GenuineLossRate = 0.05 }.ChooseFor(StandOutStatistic.ZScore, genuine, impostors, Thresholds);

        // 5 of 100 genuine trials may be lost: those at z 1.0..1.4; the cut is at 1.5 (rounded down to the thousandth).
        Assert.Equal(5, z.GenuineLost);
        Assert.InRange(z.MinStandOut, 1.49f, 1.5f);
        Assert.True(z.ImpostorPossibleAfter > 15);
        Assert.Equal(z.ImpostorPossibleAfter, impostors.Count(a => a.BestScore >= 0.7f && a.StandOut!.Value.ZScore >= z.MinStandOut));
    }

    [Fact]
    public void ChooseFor_TargetAlreadyMet_RuleOff()
    {
        var (genuine, impostors) = Trials();
        var z = new StandOutCalibrator { ImpostorPossibleRate = 0.6 }.ChooseFor(StandOutStatistic.ZScore, genuine, impostors, Thresholds);

        Assert.Equal(0, z.MinStandOut);
        Assert.Equal(50, z.ImpostorPossibleAfter);
    }

    [Fact]
    public void ChooseFor_TrialsWithTooFewCandidates_AlwaysStayAndCountAgainstTheTarget()
    {
        var (genuine, impostors) = Trials();
        for (int i = 0; i < 10; i++)
            impostors[50 + i] = impostors[50 + i] with { StandOut = null };
        var z = new StandOutCalibrator { ImpostorPossibleRate = 0.15, GenuineLossRate = 0.02 }.ChooseFor(StandOutStatistic.ZScore, genuine, impostors, Thresholds);

        // 10 unmeasured stay whatever the value: only 5 measured ones may.
        Assert.Equal(15, z.ImpostorPossibleAfter);
        Assert.InRange(z.MinStandOut, 2.69f, 2.75f);
    }

    [Fact]
    public void ChooseFor_ThresholdsOwnRuleIgnored_ChoiceMadeOnTheScoresVerdicts()
    {
        var (genuine, impostors) = Trials();
        var calibrator = new StandOutCalibrator { ImpostorPossibleRate = 0.15, GenuineLossRate = 0.02 };

        Assert.Equal(calibrator.ChooseFor(StandOutStatistic.ZScore, genuine, impostors, Thresholds),
            calibrator.ChooseFor(StandOutStatistic.ZScore, genuine, impostors, Thresholds with { MinStandOut = 9 }));
    }
}
