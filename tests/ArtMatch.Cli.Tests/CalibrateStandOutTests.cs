using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;

namespace ArtMatch.Cli.Tests;

/// <summary><c>calibrate --stand-out-only</c> on small real catalogues (real pictures, the real model): the stand-out a "possible" needs.</summary>
public class CalibrateStandOutTests
{
    private static (CliResult Result, ArtMatchConfig Written, int Measured) Calibrate(TempDir dir, int objects)
    {
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(objects));
        var store = dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "--store", store, "--catalog", csv).ExitCode);
        var result = CliRunner.Run("calibrate", "--stand-out-only", "--store", store, "--samples", "12", "--seed", "1", "--write", dir.File("config.json"), "--json",
            "--cascade-traces", dir.File("traces.jsonl"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        // Trials whose full match had enough candidates for the stand-out to be measured.
        int measured = File.ReadLines(dir.File("traces.jsonl")).Count(line =>
            System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("steps").EnumerateArray().Last().GetProperty("StandOut").ValueKind == System.Text.Json.JsonValueKind.Object);
        return (result, ArtMatchConfig.Load(dir.File("config.json")), measured);
    }

    [Fact]
    public void CalibrateStandOutOnly_CatalogueOfSixteen_ChoosesWithinTheLossCapAndKeepsTheOtherThresholds()
    {
        using var dir = new TempDir();
        var (result, written, measured) = Calibrate(dir, 16);

        // Sixteen objects leave at least ten candidates even with the own object and four pasted ones left out.
        Assert.Equal(24, measured);
        var standOut = result.Json.GetProperty("stand_out");
        Assert.Equal(2, standOut.GetProperty("by_statistic").GetArrayLength());
        var chosen = standOut.GetProperty("by_statistic").EnumerateArray().Single(s => s.GetProperty("statistic").GetString() == standOut.GetProperty("statistic").GetString());
        Assert.Equal(12, chosen.GetProperty("genuine").GetInt32());
        Assert.Equal(12, chosen.GetProperty("impostors").GetInt32());
        // 2 % of 12 genuine views: none may be lost; the rule can only take impostors answered "possible".
        Assert.Equal(0, chosen.GetProperty("genuine_lost").GetInt32());
        Assert.True(chosen.GetProperty("impostor_possible_after").GetInt32() <= chosen.GetProperty("impostor_possible_before").GetInt32());
        var defaults = new VerdictThresholds();
        Assert.Equal((defaults.Match, defaults.Possible, defaults.MinMargin), (written.Match.Thresholds.Match, written.Match.Thresholds.Possible, written.Match.Thresholds.MinMargin));
        Assert.Equal(standOut.GetProperty("min_stand_out").GetSingle(), written.Match.Thresholds.MinStandOut);
        Assert.Equal(new CascadeSettings().StopMatchMargin, written.Match.Cascade.StopMatchMargin);
    }

    [Fact]
    public void CalibrateStandOutOnly_CatalogueSmallerThanTheCohort_RuleOff()
    {
        using var dir = new TempDir();
        var (result, written, measured) = Calibrate(dir, 6);

        Assert.Equal(0, measured);
        var standOut = result.Json.GetProperty("stand_out");
        Assert.Equal(0, standOut.GetProperty("min_stand_out").GetSingle());
        Assert.Equal(0, written.Match.Thresholds.MinStandOut);
        foreach (var statistic in standOut.GetProperty("by_statistic").EnumerateArray())
            Assert.Equal(statistic.GetProperty("impostor_possible_before").GetInt32(), statistic.GetProperty("impostor_possible_after").GetInt32());
    }
}
