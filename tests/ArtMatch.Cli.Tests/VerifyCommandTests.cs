using ArtMatch.TestSupport;

namespace ArtMatch.Cli.Tests;

/// <summary><c>artmatch verify</c> on real dev pictures with the real model.</summary>
public class VerifyCommandTests
{
    private static string Query(string name) => RepoPaths.DevFile($"queries/{name}");

    [Fact]
    public void Verify_AgainstTheObjectsPictureAndAnother_SameExit0_DifferentExit5()
    {
        var picture = RepoPaths.DevFile("catalog/gc-painting-durer-lion/1.jpg");
        var other = RepoPaths.DevFile("catalog/gc-painting-van-gogh-village-street-auvers/1.jpg");

        var same = CliRunner.Run("verify", Query("q0094.jpg"), "--against", picture, "--json");
        var different = CliRunner.Run("verify", Query("q0094.jpg"), "--against", other, "--json");

        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Equal("SAME", same.Json.GetProperty("verdict").GetString());
        Assert.True(same.Json.GetProperty("score").GetDouble() >= same.Json.GetProperty("sameThreshold").GetDouble());
        Assert.Equal(5, different.ExitCode);
        Assert.Equal("DIFFERENT", different.Json.GetProperty("verdict").GetString());
    }

    [Fact]
    public void Verify_CataloguedObject_SameAgainstItsStoredPicture()
    {
        using var dir = new TempDir();
        var objects = CatalogueFixture.DevObjects(6);
        var csv = CatalogueFixture.WriteCsv(dir.File("c.csv"), objects);
        var store = dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "--store", store, "--catalog", csv).ExitCode);

        var result = CliRunner.Run("verify", objects[2].Image, "--object", objects[2].Id, "--store", store, "--json");
        var unknown = CliRunner.Run("verify", objects[2].Image, "--object", "NO-SUCH-OBJECT", "--store", store);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("SAME", result.Json.GetProperty("verdict").GetString());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No object 'NO-SUCH-OBJECT' in the catalogue.", unknown.Stderr);
    }

    [Fact]
    public void Verify_NeitherAgainstNorObject_SaysWhatToGive()
    {
        var result = CliRunner.Run("verify", Query("q0094.jpg"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Give exactly one of --against IMAGE", result.Stderr);
    }
}
