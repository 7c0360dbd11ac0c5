using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Configuration;

/// <summary>A config file whose values cannot work fails on load, naming the setting; a good one is read as written.</summary>
public class ConfigValidationTests
{
    private static ArtMatchConfig LoadText(string json)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, json);
            return ArtMatchConfig.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_SearchSplitSettings_ReadAsWrittenAndRoundTrip()
    {
        var config = LoadText("""{"index": {"embedded": {"parallel_above_rows": 5000, "search_threads": 1}}}""");

        Assert.Equal((5000, 1, 1), (config.Index.Embedded.ParallelAboveRows, config.Index.Embedded.SearchThreads, config.Index.Embedded.ThreadsPerSearch()));
        Assert.Equal(Environment.ProcessorCount, new EmbeddedIndexSettings().ThreadsPerSearch());
        var again = LoadText(config.ToJson());
        Assert.Equal(config.Index.Embedded, again.Index.Embedded);
    }

    [Fact]
    public void Load_Speculate_ReadAsWrittenAutoByDefault()
    {
        Assert.Equal(SpeculationMode.Off, LoadText("""{"match": {"cascade": {"speculate": "off"}}}""").Match.Cascade.Speculate);
        Assert.Equal(SpeculationMode.Auto, LoadText("{}").Match.Cascade.Speculate);
        Assert.Contains("\"speculate\": \"auto\"", new ArtMatchConfig().ToJson());
    }

    [Fact]
    public void Load_StandOutRule_ReadAsWrittenAndRoundTrip()
    {
        var config = LoadText("""{"match": {"thresholds": {"min_stand_out": 0.25, "stand_out_statistic": "gap_ratio", "stand_out_cohort": 8}}}""");

        Assert.Equal((0.25f, StandOutStatistic.GapRatio, 8), (config.Match.Thresholds.MinStandOut, config.Match.Thresholds.StandOutStatistic, config.Match.Thresholds.StandOutCohort));
        Assert.Equal(config.Match.Thresholds, LoadText(config.ToJson()).Match.Thresholds);
    }

    [Fact]
    public void Load_UnknownStandOutStatistic_FailsOnLoad()
    {
        Assert.Throws<InvalidDataException>(() => LoadText("""{"match": {"thresholds": {"stand_out_statistic": "median"}}}"""));
    }

    [Theory]
    [InlineData("""{"index": {"embedded": {"search_threads": -2}}}""", "index.embedded.search_threads")]
    [InlineData("""{"index": {"embedded": {"parallel_above_rows": -1}}}""", "index.embedded.parallel_above_rows")]
    [InlineData("""{"index": {"embedded": {"probes": 0}}}""", "index.embedded.probes")]
    [InlineData("""{"index": {"embedded": {"plain_cache_megabytes": -5}}}""", "index.embedded.plain_cache_megabytes")]
    [InlineData("""{"index": {"embedded": {"probed_list_share": 1.5}}}""", "index.embedded.probed_list_share")]
    [InlineData("""{"match": {"cascade": {"escalation": ["keypoints", "zoom"]}}}""", "match.cascade.escalation")]
    [InlineData("""{"match": {"cascade": {"stop_match_margin": -0.1}}}""", "match.cascade.stop_match_margin")]
    [InlineData("""{"match": {"cascade": {"speculate": 7}}}""", "match.cascade.speculate")]
    [InlineData("""{"match": {"cascade": {"speculate": "sometimes"}}}""", "match.cascade.speculate")]
    [InlineData("""{"match": {"thresholds": {"min_stand_out": -1}}}""", "match.thresholds.min_stand_out")]
    [InlineData("""{"match": {"thresholds": {"stand_out_cohort": 2}}}""", "match.thresholds.stand_out_cohort")]
    [InlineData("""{"match": {"thresholds": {"stand_out_statistic": 7}}}""", "match.thresholds.stand_out_statistic")]
    public void Load_ValueThatCannotWork_FailsOnLoadNamingTheSetting(string json, string named)
    {
        var error = Assert.Throws<InvalidDataException>(() => LoadText(json));
        Assert.Contains(named, error.Message);
        Assert.StartsWith("Config file ", error.Message);
    }
}
