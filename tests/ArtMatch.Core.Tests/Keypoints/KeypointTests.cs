using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Tests.Keypoints;

public class KeypointTests
{
    private static readonly KeypointSettings Catalogue = new() { MaxKeypoints = 6000 };
    private static readonly KeypointSettings Photo = new();

    /// <summary>A painting-like test picture: overlapping soft discs and strokes of random grey, seeded.</summary>
    internal static GreyImage Painting(int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new double[width * height];
        Array.Fill(pixels, 128);
        for (int shape = 0; shape < width * height / 300; shape++)
        {
            double cx = random.NextDouble() * width, cy = random.NextDouble() * height, r = 3 + random.NextDouble() * 14;
            double tone = random.NextDouble() * 255, stretch = 0.3 + random.NextDouble() * 1.4;
            for (int y = Math.Max(0, (int)(cy - r * 2)); y < Math.Min(height, (int)(cy + r * 2)); y++)
            {
                for (int x = Math.Max(0, (int)(cx - r * 2)); x < Math.Min(width, (int)(cx + r * 2)); x++)
                {
                    double dx = (x - cx) * stretch, dy = (y - cy) / stretch;
                    if (dx * dx + dy * dy < r * r)
                        pixels[y * width + x] = 0.3 * pixels[y * width + x] + 0.7 * tone;
                }
            }
        }
        return new GreyImage(width, height, pixels.Select(v => (byte)Math.Clamp(v, 0, 255)).ToArray());
    }

    /// <summary>Through the RGB quarter turn the pipeline uses on photos.</summary>
    private static GreyImage TurnClockwise(GreyImage source)
    {
        var rgb = new RgbImage(source.Width, source.Height, source.Pixels.SelectMany(v => new[] { v, v, v }).ToArray());
        return GreyImage.FromRgb(ImageOps.TurnClockwise(rgb, 1));
    }

    private static KeypointIndex IndexOf(params (string ObjectId, GreyImage Picture)[] pictures)
    {
        var index = new KeypointIndex(new KeypointMatchSettings());
        foreach (var (objectId, picture) in pictures)
            index.Add(objectId, objectId + "-image", KeypointDetector.Detect(picture, Catalogue));
        return index;
    }

    [Fact]
    public void Detect_SamePicture_GivesTheSameKeypointsEveryTime()
    {
        var picture = Painting(240, 180, seed: 1);
        var first = KeypointDetector.Detect(picture, Photo);
        var second = KeypointDetector.Detect(picture, Photo);
        Assert.InRange(first.Count, 100, Photo.MaxKeypoints + 8);
        Assert.Equal(first.Points, second.Points);
        Assert.Equal(first.Descriptors, second.Descriptors);
    }

    [Fact]
    public void Detect_FlatPicture_FindsNoKeypoints()
    {
        var flat = new GreyImage(120, 90, Enumerable.Repeat((byte)90, 120 * 90).ToArray());
        Assert.Equal(0, KeypointDetector.Detect(flat, Photo).Count);
    }

    [Fact]
    public void Detect_PatchTooLargeForThePattern_IsRefusedWithTheSettingNamed()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => KeypointDetector.Detect(Painting(200, 150, seed: 14), Photo with { PatchRadius = 200 }));
        Assert.Contains("PatchRadius", error.Message);
    }

    [Fact]
    public void Search_SmallPixelCropOfCataloguePicture_FindsItWithTheCropOffset()
    {
        var picture = Painting(500, 400, seed: 2);
        var index = IndexOf(("painting", picture), ("other", Painting(500, 400, seed: 3)));
        var closeUp = KeypointDetector.Detect(picture.Crop(new PixelRect(310, 140, 72, 72)), Photo);

        var found = index.Search(closeUp, minInliers: 5);

        var best = Assert.Single(found);
        Assert.Equal("painting", best.ObjectId);
        Assert.Equal("painting-image", best.ImageId);
        Assert.True(best.Inliers >= 16, $"{best.Inliers} inliers");
        // Catalogue pixel (x, y) is crop pixel (x - 310, y - 140).
        var (x, y) = best.Transform!.Value.Apply(350, 170);
        Assert.Equal(40, x, 1.0);
        Assert.Equal(30, y, 1.0);
        Assert.Equal(1, best.Transform.Value.Scale, 0.05);
        Assert.All(best.CatalogueInliers, p => Assert.True(p.X >= 300 && p.X <= 392 && p.Y >= 130 && p.Y <= 222, $"inlier at {p}"));
    }

    [Fact]
    public void Search_ShrunkAndTurnedView_FindsItWithThatScaleAndTurn()
    {
        var picture = Painting(480, 360, seed: 4);
        var index = IndexOf(("painting", picture), ("other", Painting(480, 360, seed: 5)));
        var view = TurnClockwise(picture.Shrink(288, 216));

        var best = index.Search(KeypointDetector.Detect(view, Photo), minInliers: 5).First();

        Assert.Equal("painting", best.ObjectId);
        Assert.Equal(0.6, best.Transform!.Value.Scale, 0.05);
        // Clockwise in picture coordinates (y down) is a turn of +90 degrees.
        Assert.Equal(Math.PI / 2, Math.Atan2(best.Transform.Value.Ai, best.Transform.Value.Ar), 0.1);
    }

    [Fact]
    public void DetectAndSearch_Cancelled_StopAndAnswerTheSameWhenRunAgain()
    {
        // A speculation no longer needed is stopped inside detection and search; a later run is unaffected.
        var picture = Painting(480, 360, seed: 4);
        var index = IndexOf(("painting", picture), ("other", Painting(480, 360, seed: 5)));
        var view = picture.Shrink(288, 216);
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => KeypointDetector.Detect(view, Photo, stopped.Token));
        var keypoints = KeypointDetector.Detect(view, Photo);
        Assert.ThrowsAny<OperationCanceledException>(() => index.Search(keypoints, minInliers: 5, cancellation: stopped.Token));
        var found = index.Search(keypoints, minInliers: 5);

        Assert.Equal("painting", found.First().ObjectId);
        Assert.Equal(found.Select(c => (c.ObjectId, c.Inliers)), index.Search(KeypointDetector.Detect(view, Photo), minInliers: 5).Select(c => (c.ObjectId, c.Inliers)));
    }

    [Fact]
    public void Search_PictureNotInCatalogue_FindsNothingAboveChance()
    {
        var index = IndexOf(("a", Painting(500, 400, seed: 6)), ("b", Painting(500, 400, seed: 7)));
        var stranger = KeypointDetector.Detect(Painting(320, 240, seed: 8), Photo);

        Assert.Empty(index.Search(stranger, minInliers: 5));
    }

    [Fact]
    public void Search_SamePictureUnderTwoObjects_IsTooAmbiguousToName()
    {
        // Lowe's ratio test between objects: every corner is as near in one as in the other.
        var picture = Painting(400, 300, seed: 9);
        var index = IndexOf(("first", picture), ("second", picture));
        var closeUp = KeypointDetector.Detect(picture.Crop(new PixelRect(100, 100, 90, 90)), Photo);

        Assert.Empty(index.Search(closeUp, minInliers: 3));
        Assert.Equal("first", index.Search(closeUp, minInliers: 3, allowObject: id => id == "first").Single().ObjectId);
    }

    [Fact]
    public void RemoveObject_TakesItsPicturesOutOfTheSearch()
    {
        var picture = Painting(400, 300, seed: 10);
        var index = IndexOf(("kept", Painting(400, 300, seed: 11)), ("removed", picture));
        var closeUp = KeypointDetector.Detect(picture.Crop(new PixelRect(50, 60, 100, 100)), Photo);
        Assert.NotEmpty(index.Search(closeUp, minInliers: 5));

        index.RemoveObject("removed");

        Assert.Empty(index.Search(closeUp, minInliers: 5));
        Assert.Equal(1, index.ImageCount);
    }

    [Fact]
    public void ToBytes_RoundTripsEveryKeypointAndDescriptor()
    {
        var set = KeypointDetector.Detect(Painting(200, 150, seed: 12), Photo);

        var copy = KeypointSet.FromBytes(set.ToBytes());

        Assert.Equal((set.Width, set.Height), (copy.Width, copy.Height));
        Assert.Equal(set.Points, copy.Points);
        Assert.Equal(set.Descriptors, copy.Descriptors);
    }

    [Fact]
    public void FromBytes_TruncatedOrForeignData_IsRejected()
    {
        var bytes = KeypointDetector.Detect(Painting(200, 150, seed: 13), Photo).ToBytes();
        Assert.Throws<InvalidDataException>(() => KeypointSet.FromBytes(bytes.AsSpan(0, bytes.Length - 5)));
        Assert.Throws<InvalidDataException>(() => KeypointSet.FromBytes(new byte[] { 9, 0, 0, 0 }));
    }

    [Fact]
    public void Shrink_AveragesTheAreaEachPixelCovers()
    {
        // Columns alternate 0 and 200: halving averages each pair to 100; a third of 3 columns is their mean.
        var stripes = new GreyImage(6, 2, [0, 200, 0, 200, 0, 200, 0, 200, 0, 200, 0, 200]);
        Assert.All(stripes.Shrink(3, 1).Pixels, v => Assert.Equal(100, v));
        Assert.Equal([67, 133], stripes.Shrink(2, 1).Pixels);
    }

    [Fact]
    public void FromRgb_WeighsGreenMostAndBlueLeast()
    {
        var rgb = new RgbImage(3, 1, [255, 0, 0, 0, 255, 0, 0, 0, 255]);
        var grey = GreyImage.FromRgb(rgb);
        Assert.True(grey[1, 0] > grey[0, 0] && grey[0, 0] > grey[2, 0]);
        Assert.InRange(grey[1, 0], 149, 151);
    }
}
