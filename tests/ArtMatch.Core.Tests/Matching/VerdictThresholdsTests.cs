using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

public class VerdictThresholdsTests
{
    [Theory]
    [InlineData(0.95f, Verdict.Match)]
    [InlineData(0.80f, Verdict.Match)]
    [InlineData(0.70f, Verdict.Possible)]
    [InlineData(0.40f, Verdict.NoMatch)]
    public void Judge_ScoreAgainstThresholds_GivesVerdict(float score, Verdict expected) =>
        Assert.Equal(expected, new VerdictThresholds { Match = 0.8f, Possible = 0.6f }.Judge(score));

    [Fact]
    public void Quantile_SortedPosition_IsNearestRank()
    {
        float[] values = [5, 1, 4, 2, 3];

        Assert.Equal(1, Calibrator.Quantile(values, 0.0));
        Assert.Equal(3, Calibrator.Quantile(values, 0.5));
        Assert.Equal(5, Calibrator.Quantile(values, 0.99));
    }
}
