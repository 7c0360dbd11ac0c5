using ArtMatch.TestSupport;

namespace ArtMatch.Cli.Tests;

public class CommandTests
{
    private static string DevImage(int index = 0) => CatalogueFixture.DevObjects(index + 1)[index].Image;

    [Fact]
    public void Embed_DevImageJson_GivesUnitVectorOfModelDimension()
    {
        var result = CliRunner.Run("embed", DevImage(), "--json");

        Assert.Equal(0, result.ExitCode);
        var json = result.Json;
        Assert.Equal(1280, json.GetProperty("dimension").GetInt32());
        Assert.Equal(1280, json.GetProperty("vector").GetArrayLength());
        Assert.InRange(json.GetProperty("norm").GetDouble(), 0.999, 1.001);
        Assert.StartsWith("mobilenetv2", json.GetProperty("model").GetString());
    }

    [Fact]
    public void Similarity_ImageWithItself_IsOneAndUnrelatedIsLower()
    {
        var same = CliRunner.Run("similarity", DevImage(0), DevImage(0), "--json");
        var other = CliRunner.Run("similarity", DevImage(0), DevImage(3), "--json");

        Assert.InRange(same.Json.GetProperty("cosine").GetDouble(), 0.9999, 1.0001);
        Assert.True(other.Json.GetProperty("cosine").GetDouble() < 0.9);
    }

    [Fact]
    public void Embed_TextFile_FailsWithClearMessageAndExitCode1()
    {
        using var dir = new TempDir();
        var path = dir.File("notes.jpg");
        File.WriteAllText(path, "this is not a picture");

        var result = CliRunner.Run("embed", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr.Trim());
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Embed_MissingFile_SaysWhichFile()
    {
        var result = CliRunner.Run("embed", "/nonexistent/photo.jpg");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/nonexistent/photo.jpg", result.Stderr);
    }

    [Fact]
    public void Help_EveryCommand_PrintsUsage()
    {
        foreach (var command in new[] { "embed", "similarity", "import", "reembed", "whiten", "match", "verify", "eval", "calibrate", "serve", "screen", "keys", "keys add", "backup", "restore", "audit verify", "cases export" })
        {
            var result = CliRunner.Run([.. command.Split(' '), "--help"]);
            Assert.True(result.ExitCode == 0, $"{command} --help exited {result.ExitCode}: {result.Stderr}");
            Assert.Contains("Usage:", result.Stdout);
        }
    }

    [Fact]
    public void AuditVerify_ExpectNotEntriesColonHash_Exit1SayingTheForm()
    {
        var result = CliRunner.Run("audit", "verify", "--store", "/nonexistent/store", "--expect", "deadbeef");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--expect: 'deadbeef' is not an audit head: expected ENTRIES:HASH", result.Stderr);
    }

    [Fact]
    public void KeysAdd_Json_PrintsTheKeyOnce_FileHoldsOnlyItsHash()
    {
        string dir = Directory.CreateTempSubdirectory("artmatch-keys-").FullName;
        try
        {
            string file = Path.Combine(dir, "keys.json");
            var result = CliRunner.Run("keys", "add", "--file", file, "--role", "officer", "--name", "customs-9", "--json");

            Assert.True(result.ExitCode == 0, result.Stderr);
            using var printed = System.Text.Json.JsonDocument.Parse(result.Stdout);
            string key = printed.RootElement.GetProperty("key").GetString()!;
            Assert.StartsWith("am_", key);
            Assert.DoesNotContain(key, File.ReadAllText(file));
            Assert.Equal("customs-9", ArtMatch.Server.Api.ApiKeys.Load(file).Find(key)!.Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
