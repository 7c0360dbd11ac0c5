using ArtMatch.Core.Configuration;

namespace ArtMatch.Cli.Tests;

/// <summary><c>eval --verify</c> and <c>calibrate --verify</c> on small real catalogues (real pictures, the real model).</summary>
public class VerifyEvalTests
{
    [Fact]
    public void EvalVerify_CataloguePicturesAsQueries_GenuinePairsSameImpostorsNot()
    {
        using var dir = new TempDir();
        var objects = CatalogueFixture.DevObjects(6);
        var catalogue = objects.Take(4).ToList();
        CatalogueFixture.WriteCsv(dir.File("catalog.csv"), catalogue);
        // Two catalogue pictures as queries (each its own object's genuine pair, the nearest other object its impostor); one unseen object (not verified).
        File.WriteAllLines(dir.File("queries.csv"),
        [
            "query,expected_object_id,kind,notes",
            $"{catalogue[0].Image},{catalogue[0].Id},same,",
            $"{catalogue[1].Image},{catalogue[1].Id},same,",
            $"{objects[4].Image},,distractor,",
        ]);

        var result = CliRunner.Run("eval", "--set", dir.Path, "--verify", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var verify = result.Json.GetProperty("verify");
        Assert.Equal(2, verify.GetProperty("genuine_pairs").GetInt32());
        Assert.Equal(2, verify.GetProperty("impostor_pairs").GetInt32());
        Assert.Equal(1.0, verify.GetProperty("true_accept_rate").GetDouble());
        Assert.Equal(0.0, verify.GetProperty("false_accept_rate").GetDouble());
        Assert.Equal(1.0, verify.GetProperty("true_accept_rate_at_far_1pct").GetDouble());
    }

    [Fact]
    public void CalibrateVerify_SmallCatalogue_WritesOrderedThresholdsIntoTheConfig()
    {
        using var dir = new TempDir();
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), CatalogueFixture.DevObjects(6));
        var store = dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "--store", store, "--catalog", csv).ExitCode);

        var result = CliRunner.Run("calibrate", "--verify", "--store", store, "--samples", "12", "--seed", "1", "--write", dir.File("config.json"), "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json;
        Assert.Equal(12, json.GetProperty("pairs").GetInt32());
        Assert.Equal(0.01, json.GetProperty("target_false_accept_rate").GetDouble());
        float same = json.GetProperty("verify_thresholds").GetProperty("same").GetSingle();
        float uncertain = json.GetProperty("verify_thresholds").GetProperty("uncertain").GetSingle();
        Assert.True(uncertain <= same, $"uncertain {uncertain} above same {same}");
        // Genuine views of a picture against its own object score above their look-alikes.
        Assert.True(json.GetProperty("genuine_median").GetSingle() > json.GetProperty("impostor_median").GetSingle());
        // The floor a "possible" needs: the look-alike score only --evidence-rate (0.10) of them reach, above their median.
        float evidence = json.GetProperty("verify_thresholds").GetProperty("evidence").GetSingle();
        Assert.Equal(0.1, json.GetProperty("evidence_rate").GetDouble());
        Assert.True(evidence >= json.GetProperty("impostor_median").GetSingle(), $"evidence {evidence} below the impostor median");
        var written = ArtMatchConfig.Load(dir.File("config.json")).Match.Verification.Thresholds;
        Assert.Equal((same, uncertain, evidence), (written.Same, written.Uncertain, written.Evidence));
    }
}
