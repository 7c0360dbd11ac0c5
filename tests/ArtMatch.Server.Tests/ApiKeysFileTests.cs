using ArtMatch.Server.Api;

namespace ArtMatch.Server.Tests;

/// <summary>The keys file keeps hashes only; a key made by Add is found, a wrong one is not.</summary>
public sealed class ApiKeysFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("artmatch-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Add_ThenLoad_KeyFoundByItsHash_KeyNotInTheFile()
    {
        string file = Path.Combine(_dir, "keys.json");

        string officer = ApiKeys.Add(file, "customs-1", ApiRole.Officer);
        string admin = ApiKeys.Add(file, "admin-1", ApiRole.Admin);
        var keys = ApiKeys.Load(file);

        Assert.Equal(("customs-1", ApiRole.Officer), (keys.Find(officer)!.Name, keys.Find(officer)!.Role));
        Assert.Equal("admin-1", keys.Find(admin)!.Name);
        Assert.Null(keys.Find(officer + "x"));
        string text = File.ReadAllText(file);
        Assert.DoesNotContain(officer, text);
        Assert.DoesNotContain(admin, text);
        Assert.Contains("key_sha256", text);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void Add_SameNameTwice_Refused()
    {
        string file = Path.Combine(_dir, "keys.json");
        ApiKeys.Add(file, "customs-1", ApiRole.Officer);

        Assert.Throws<ArgumentException>(() => ApiKeys.Add(file, "customs-1", ApiRole.Partner));
    }

    [Fact]
    public void Load_PlainKeyEntry_StillAccepted_BadHashRefused()
    {
        string plain = Path.Combine(_dir, "plain.json");
        File.WriteAllText(plain, """{"keys": [{"key": "a-plain-key-0123456789", "name": "old", "role": "partner"}]}""");
        string bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, """{"keys": [{"key_sha256": "abcd", "name": "broken", "role": "officer"}]}""");

        Assert.Equal(ApiRole.Partner, ApiKeys.Load(plain).Find("a-plain-key-0123456789")!.Role);
        Assert.Contains("64 hex digits", Assert.Throws<InvalidDataException>(() => ApiKeys.Load(bad)).Message);
    }
}
