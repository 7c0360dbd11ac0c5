using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Tests.Support;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>1:1 verification on real pictures, the real model and a real store (the engine fixture's 25 dev objects).</summary>
public sealed class VerifierTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private static byte[] Query(string name) => File.ReadAllBytes(RepoPaths.DevFile($"queries/{name}"));

    private Verifier Verifier => fixture.Engine.RequireVerifier();

    [Fact]
    public void VerifyAgainst_PhotoInPerspectiveAndItsCataloguePicture_SameWithTheRegionInThePhoto()
    {
        var photo = Verifier.Describe(Query("q0094.jpg"));

        var result = Verifier.VerifyAgainst(photo, fixture.Photo(5));

        Assert.Equal(VerifyVerdict.Same, result.Verdict);
        Assert.True(result.Inliers + result.KeypointInliers > 4, $"inliers {result.Inliers}, keypoints {result.KeypointInliers}");
        var region = Assert.NotNull(result.MatchedRegion);
        Assert.InRange(region.X + region.Width, 1, result.PhotoWidth);
        Assert.InRange(region.Y + region.Height, 1, result.PhotoHeight);
        // The lion fills most of the photo: the region is not a sliver.
        Assert.True(region.Width * region.Height > result.PhotoWidth * result.PhotoHeight / 4, $"{region} of {result.PhotoWidth}x{result.PhotoHeight}");
    }

    [Fact]
    public void VerifyAgainst_AnotherObjectsPicture_Different()
    {
        var photo = Verifier.Describe(Query("q0094.jpg"));

        var result = Verifier.VerifyAgainst(photo, fixture.Photo(12));

        Assert.Equal(VerifyVerdict.Different, result.Verdict);
        Assert.Null(result.MatchedRegion is { } r && r.Width * r.Height > 0 && result.Inliers > 4 ? r : null);
    }

    [Fact]
    public void VerifyObject_CataloguedObject_TheSameAnswerAsItsPicture()
    {
        var photo = Verifier.Describe(Query("q0094.jpg"));

        var byPicture = Verifier.VerifyAgainst(photo, fixture.Photo(5));
        var byObject = Verifier.VerifyObject(photo, fixture.Objects[5].Id);

        Assert.Equal((byPicture.Verdict, byPicture.Score, byPicture.ImageId), (byObject.Verdict, byObject.Score, byObject.ImageId));
    }

    [Fact]
    public void VerifyObject_UnknownObject_ObjectNotFound()
    {
        var photo = Verifier.Describe(Query("q0094.jpg"));

        var error = Assert.Throws<ObjectNotFoundException>(() => Verifier.VerifyObject(photo, "NO-SUCH-OBJECT"));

        Assert.Equal("No object 'NO-SUCH-OBJECT' in the catalogue.", error.Message);
    }

    [Fact]
    public void VerifyAgainst_SamePictureInOtherColours_NotSame()
    {
        var picture = fixture.Engine.Describer.Decode(fixture.Photo(7));
        // Red and blue swapped: the layout agrees exactly, the paint does not.
        var pixels = (byte[])picture.Pixels.Clone();
        for (int i = 0; i < pixels.Length; i += 3)
            (pixels[i], pixels[i + 2]) = (pixels[i + 2], pixels[i]);
        var recoloured = Verifier.Describe(new RgbImage(picture.Width, picture.Height, pixels));

        var result = Verifier.VerifyAgainst(recoloured, fixture.Photo(7));

        Assert.NotEqual(VerifyVerdict.Same, result.Verdict);
        Assert.True(result.ColourShift > fixture.Engine.RequireMatcher().Settings.MaxColourShift, $"colour shift {result.ColourShift}");
    }
}
