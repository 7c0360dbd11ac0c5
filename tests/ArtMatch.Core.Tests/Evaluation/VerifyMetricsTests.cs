using ArtMatch.Core.Evaluation;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Evaluation;

public class VerifyMetricsTests
{
    private static VerifyOutcome Pair(float genuine, float impostor, VerifyThresholds? thresholds = null)
    {
        var t = thresholds ?? new VerifyThresholds { Same = 1.0f, Uncertain = 0.8f };
        return new VerifyOutcome(genuine, t.Judge(genuine), "rival", impostor, t.Judge(impostor));
    }

    [Fact]
    public void TrueAcceptRateAt_OnePercentOfTwoHundredImpostors_TwoMayPassTheThreshold()
    {
        // 200 impostors: floor(0.01 * 200) = 2 may score above the threshold, which is the third highest.
        var impostor = Enumerable.Range(0, 200).Select(i => i / 200f).ToArray();
        var genuine = new[] { 0.99f, 0.986f, 0.984f, 0.5f };

        var (rate, threshold) = VerifyMetrics.TrueAcceptRateAt(genuine, impostor, 0.01);

        Assert.Equal(197 / 200f, threshold, 6);
        Assert.Equal(0.5, rate);
    }

    [Fact]
    public void TrueAcceptRateAt_GenuineTiedWithTheThreshold_NotAccepted()
    {
        var (rate, _) = VerifyMetrics.TrueAcceptRateAt([0.7f, 0.9f], [0.7f, 0.1f, 0.2f], 0.01);

        Assert.Equal(0.5, rate);
    }

    [Fact]
    public void Summarise_VerdictsAtTheCalibratedThresholds_RatesPerSide()
    {
        var outcomes = new[] { Pair(1.2f, 0.5f), Pair(0.9f, 1.1f), Pair(1.3f, 0.85f), Pair(0.7f, 0.6f) };

        var summary = VerifyMetrics.Summarise(outcomes);

        Assert.Equal((4, 4), (summary.GenuinePairs, summary.ImpostorPairs));
        Assert.Equal(0.5, summary.TrueAcceptRate);
        Assert.Equal(0.25, summary.FalseAcceptRate);
        Assert.Equal((0.25, 0.25), (summary.GenuineUncertainRate, summary.ImpostorUncertainRate));
    }

    [Fact]
    public void Summarise_QueryWithoutImpostor_CountsAsGenuineOnly()
    {
        var outcomes = new[] { Pair(1.2f, 0.5f), new VerifyOutcome(1.1f, VerifyVerdict.Same, null, 0, VerifyVerdict.Different) };

        var summary = VerifyMetrics.Summarise(outcomes);

        Assert.Equal((2, 1), (summary.GenuinePairs, summary.ImpostorPairs));
        Assert.Equal(1.0, summary.TrueAcceptRate);
    }
}
