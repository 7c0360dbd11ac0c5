using ArtMatch.TestSupport;

namespace ArtMatch.Cli.Tests;

public class MatchAndEvalTests
{
    [Fact]
    public void Match_CatalogueImage_FindsItsOwnObjectFirstAsMatch()
    {
        using var dir = new TempDir();
        var objects = CatalogueFixture.DevObjects(8);
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), objects);
        var store = dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "--store", store, "--catalog", csv).ExitCode);

        var result = CliRunner.Run("match", "--store", store, objects[3].Image, "--top", "3", "--json");

        Assert.Equal(0, result.ExitCode);
        var first = result.Json.GetProperty("candidates")[0];
        Assert.Equal(objects[3].Id, first.GetProperty("object_id").GetString());
        Assert.Equal("TEST", first.GetProperty("registry").GetString());
        Assert.Equal("match", result.Json.GetProperty("verdict").GetString());
    }

    [Fact]
    public void Eval_TinySet_ReportsTheDocumentedFields()
    {
        using var dir = new TempDir();
        var objects = CatalogueFixture.DevObjects(6);
        var catalogue = objects.Take(4).ToList();
        CatalogueFixture.WriteCsv(dir.File("catalog.csv"), catalogue);
        // Two catalogue pictures as queries (must be found), two unseen objects (must be "no match").
        File.WriteAllLines(dir.File("queries.csv"),
        [
            "query,expected_object_id,kind,notes",
            $"{catalogue[0].Image},{catalogue[0].Id},same,",
            $"{catalogue[1].Image},{catalogue[1].Id},same,",
            $"{objects[4].Image},,distractor,",
            $"{objects[5].Image},,distractor,",
        ]);
        var report = dir.File("report.html");

        var result = CliRunner.Run("eval", "--set", dir.Path, "--json", "--report", report);

        Assert.Equal(0, result.ExitCode);
        var json = result.Json;
        foreach (var field in new[] { "top1", "recall_at_5", "map", "false_match_rate", "miss_rate", "latency" })
            Assert.True(json.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal(1.0, json.GetProperty("top1").GetDouble());
        Assert.Equal(1.0, json.GetProperty("per_kind").GetProperty("same").GetProperty("recall_at_5").GetDouble());
        Assert.True(json.GetProperty("per_kind").TryGetProperty("distractor", out var distractor));
        Assert.True(distractor.TryGetProperty("false_match_rate", out _));
        Assert.Contains("<html>", File.ReadAllText(report));
    }
}
