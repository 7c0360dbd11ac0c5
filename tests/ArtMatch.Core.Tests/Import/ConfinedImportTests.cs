using ArtMatch.Core.Import;

namespace ArtMatch.Core.Tests.Import;

/// <summary>Catalogue image paths must resolve inside the catalogue file's folder (symlinks followed) unless allowed outside.</summary>
public sealed class ConfinedImportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("artmatch-confined-").FullName;
    private readonly string _catalogue;
    private readonly string _secret;

    public ConfinedImportTests()
    {
        _catalogue = Directory.CreateDirectory(Path.Combine(_root, "catalogue")).FullName;
        Directory.CreateDirectory(Path.Combine(_catalogue, "img"));
        File.WriteAllText(Path.Combine(_catalogue, "img", "a.jpg"), "inside");
        _secret = Path.Combine(_root, "secret.jpg");
        File.WriteAllText(_secret, "outside");
        File.CreateSymbolicLink(Path.Combine(_catalogue, "img", "escape.jpg"), _secret);
        File.CreateSymbolicLink(Path.Combine(_catalogue, "img", "alias.jpg"), Path.Combine(_catalogue, "img", "a.jpg"));
        Directory.CreateSymbolicLink(Path.Combine(_catalogue, "outdir"), _root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private IReadOnlyList<CatalogEntry> Read(string image, bool allowOutside = false)
    {
        string csv = Path.Combine(_catalogue, "c.csv");
        File.WriteAllText(csv, $"object_id,image\nA1,{image}\n");
        return CatalogFile.Read(csv, allowOutside);
    }

    [Theory]
    [InlineData("../secret.jpg", "is outside")]
    [InlineData("img/escape.jpg", "through a symbolic link")]
    [InlineData("outdir/secret.jpg", "through a symbolic link")]
    public void Read_ImageLeadingOutside_RefusedNamingThePathAsWritten(string image, string why)
    {
        var entry = Assert.Single(Read(image));

        Assert.False(entry.IsValid);
        Assert.Contains($"image '{image}'", entry.Error);
        Assert.Contains(why, entry.Error);
        Assert.Contains("--allow-outside", entry.Error);
        Assert.DoesNotContain(_root, entry.Error);
    }

    [Fact]
    public void Read_AbsolutePathOutside_Refused()
    {
        var entry = Assert.Single(Read(_secret));

        Assert.False(entry.IsValid);
        Assert.Contains("is outside", entry.Error);
    }

    [Theory]
    [InlineData("img/a.jpg")]
    [InlineData("img/alias.jpg")]
    [InlineData("img/../img/a.jpg")]
    public void Read_ImageInside_IncludingALinkThatStaysInside_Accepted(string image)
    {
        var entry = Assert.Single(Read(image));

        Assert.True(entry.IsValid, entry.Error);
        Assert.Equal(image, entry.Written(Assert.Single(entry.ImagePaths)));
    }

    [Fact]
    public void Read_OutsideWithAllowOutside_Accepted()
    {
        var entry = Assert.Single(Read("img/escape.jpg", allowOutside: true));

        Assert.True(entry.IsValid);
    }
}
