using ArtMatch.Core.Configuration;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>The matching pipeline's checks on real pictures, the real model and a real store.</summary>
public sealed class MatcherTests : IDisposable
{
    private static readonly string[] Objects =
    [
        "gc-painting-van-gogh-night-cafe", "gc-painting-hokusai-great-wave", "gc-painting-mona-lisa", "sk-chelsea",
        "sk-coffee", "sk-astronaut", "tux-object-spacewalk", "gc-monument-eiffel-tower", "tux-animal-camel", "gc-animal-fish11",
    ];

    private readonly string _store = Directory.CreateTempSubdirectory("artmatch-matcher-").FullName;
    private readonly ArtMatchEngine _engine;

    public MatcherTests()
    {
        _engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store);
        var entries = CatalogFile.Read(RepoPaths.DevFile("catalog.csv")).Where(e => Objects.Contains(e.Record!.ObjectId)).ToList();
        Assert.Empty(_engine.Importer!.Import(entries).Failures);
    }

    public void Dispose()
    {
        _engine.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_store, recursive: true);
    }

    private RgbImage Picture(string objectId) => _engine.Describer.Decode(File.ReadAllBytes(RepoPaths.DevFile($"catalog/{objectId}/1.jpg")));

    private static RgbImage MapPixels(RgbImage image, Func<byte, byte, byte, (byte, byte, byte)> map)
    {
        var pixels = new byte[image.Pixels.Length];
        for (int i = 0; i < pixels.Length; i += 3)
            (pixels[i], pixels[i + 1], pixels[i + 2]) = map(image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
        return new RgbImage(image.Width, image.Height, pixels);
    }

    [Fact]
    public void Match_SamePictureInOtherColours_IsFoundButOnlyPossible()
    {
        var matcher = _engine.RequireMatcher();
        var painting = Picture("gc-painting-van-gogh-night-cafe");
        // Red and blue swapped: the same layout in another colourway (a recoloured print, another casting).
        var recoloured = matcher.Match(MapPixels(painting, (r, g, b) => (b, g, r)), new MatchRequest());
        // Under a warm light the colours move too, but far less.
        var warm = matcher.Match(MapPixels(painting, (r, g, b) => ((byte)Math.Min(255, r * 1.15), g, (byte)(b * 0.85))), new MatchRequest());

        Assert.Equal("gc-painting-van-gogh-night-cafe", recoloured.Best!.ObjectId);
        Assert.True(recoloured.Best.Score >= matcher.Settings.Thresholds.Match, $"score {recoloured.Best.Score}: the check under test would not be reached");
        Assert.True(recoloured.Best.ColourShift > matcher.Settings.MaxColourShift, $"colour shift {recoloured.Best.ColourShift}");
        Assert.Equal(Verdict.Possible, recoloured.Verdict);

        Assert.Equal("gc-painting-van-gogh-night-cafe", warm.Best!.ObjectId);
        Assert.True(warm.Best.ColourShift < matcher.Settings.MaxColourShift / 2, $"colour shift {warm.Best.ColourShift}");
        Assert.Equal(Verdict.Match, warm.Verdict);
    }

    [Fact]
    public void Match_GreyscalePhoto_IsNotHeldAgainstAColourPicture()
    {
        var matcher = _engine.RequireMatcher();
        var grey = MapPixels(Picture("gc-painting-hokusai-great-wave"), (r, g, b) =>
        {
            byte v = (byte)(0.299 * r + 0.587 * g + 0.114 * b);
            return (v, v, v);
        });

        var result = matcher.Match(grey, new MatchRequest());

        Assert.Equal("gc-painting-hokusai-great-wave", result.Best!.ObjectId);
        Assert.Null(result.Best.ColourShift);
        Assert.Equal(Verdict.Match, result.Verdict);
    }

    [Fact]
    public void Match_SmallCloseUpOfADetail_IsFoundByItsKeypoints()
    {
        // 80 pixels of the painting at the catalogue's own scale: 2-3 CNN cells, far too few to match on.
        var painting = Picture("gc-painting-mona-lisa");
        var closeUp = ImageOps.Crop(painting, new PixelRect(painting.Width / 2 - 10, painting.Height / 3, 80, 80));
        var matcher = _engine.RequireMatcher();
        var withoutKeypoints = new Matcher(_engine.Describer, _engine.RequireStore(), matcher.Settings with { KeypointBonus = 0 });

        var result = matcher.Match(closeUp, new MatchRequest());
        var cnnOnly = withoutKeypoints.Match(closeUp, new MatchRequest());

        Assert.Equal("gc-painting-mona-lisa", result.Best!.ObjectId);
        Assert.True(result.Best.KeypointInliers >= matcher.Settings.KeypointCap, $"keypoint inliers {result.Best.KeypointInliers}");
        Assert.Equal(Verdict.Match, result.Verdict);
        Assert.NotEqual(Verdict.Match, cnnOnly.Verdict);
        Assert.All(cnnOnly.Candidates, c => Assert.Equal(0, c.KeypointInliers));
    }

    [Fact]
    public void Match_CloseUpOfAPictureNotInTheCatalogue_IsNoAlarm()
    {
        var stranger = _engine.Describer.Decode(File.ReadAllBytes(RepoPaths.DevFile("catalog/gc-painting-van-gogh-the-harvest/1.jpg")));
        var closeUp = ImageOps.Crop(stranger, new PixelRect(stranger.Width / 2, stranger.Height / 2, 80, 80));

        var result = _engine.RequireMatcher().Match(closeUp, new MatchRequest { TopK = 10 });

        Assert.NotEqual(Verdict.Match, result.Verdict);
        Assert.All(result.Candidates, c => Assert.True(c.KeypointInliers <= _engine.RequireMatcher().Settings.KeypointFloor, $"{c.ObjectId}: {c.KeypointInliers} keypoint inliers"));
    }

    [Fact]
    public void Match_PhotoTakenSideways_IsFoundAndVerifiedThroughTheTurnedPhoto()
    {
        var upright = Picture("gc-painting-hokusai-great-wave");
        var sideways = ImageOps.TurnClockwise(upright, 3);

        // Every stage runs: the cascade answers this photo after the keypoints (they survive a quarter
        // turn), before the turned photo is checked, which is what this test is about.
        var full = new Matcher(_engine.Describer, _engine.RequireStore(), _engine.RequireMatcher().Settings with { Cascade = new CascadeSettings { Full = true } });
        var result = full.Match(sideways, new MatchRequest { TopK = 3 });

        Assert.Equal("gc-painting-hokusai-great-wave", result.Best!.ObjectId);
        // CNN features do not survive a quarter turn: the agreement comes from the photo turned back.
        Assert.True(result.Best.Inliers >= 12, $"inliers {result.Best.Inliers}");
        Assert.Equal(Verdict.Match, result.Verdict);
        var turns = _engine.Describer.Describe(sideways, includeRegions: true).Turns;
        Assert.Equal([1, 2, 3], turns.Select(t => t.QuarterTurns));
        // One quarter turn of the sideways photo stands it upright again (at the model's size).
        Assert.Equal(upright.Width > upright.Height, turns[0].Picture.Width > turns[0].Picture.Height);
    }

    [Fact]
    public void Turns_TwoSidewaysViewsInOneModelRun_SameVectorsAsEachTurnedPictureDescribedAlone()
    {
        var photo = Picture("gc-painting-hokusai-great-wave");
        var turns = _engine.Describer.Describe(photo, includeRegions: true).Turns;

        foreach (var turn in turns)
        {
            var alone = _engine.Describer.Describe(turn.Picture, includeRegions: false);
            Assert.Equal(alone.Global.Length, turn.Global.Length);
            for (int i = 0; i < alone.Global.Length; i++)
                Assert.Equal(alone.Global[i], turn.Global[i], 1e-4f);
            Assert.Equal(alone.Local!.Vectors.Length, turn.Local!.Vectors.Length);
            Assert.Equal(alone.Local.Vectors[^1], turn.Local.Vectors[^1], 1e-4f);
        }
    }

    [Fact]
    public void Match_ObjectSmallInAScene_VerifiesTheRegionThatFoundIt()
    {
        // The camel picture at a third of the frame, in a street scene that is not catalogued.
        var scene = _engine.Describer.Decode(File.ReadAllBytes(RepoPaths.DevFile("catalog/gc-painting-van-gogh-night-cafe/1.jpg")));
        scene = ImageOps.Resize(scene, 960, 720);
        var camel = Picture("tux-animal-camel");
        double shrink = 0.33 * scene.Width / Math.Max(camel.Width, camel.Height);
        var small = ImageOps.Resize(camel, (int)(camel.Width * shrink), (int)(camel.Height * shrink));
        var pixels = (byte[])scene.Pixels.Clone();
        for (int y = 0; y < small.Height; y++)
            Array.Copy(small.Pixels, y * small.Width * 3, pixels, ((400 + y) * scene.Width + 550) * 3, small.Width * 3);
        var photo = new RgbImage(scene.Width, scene.Height, pixels);
        // Every stage runs (the cascade may answer before the regions): the test is about the region check.
        var full = _engine.RequireMatcher().Settings with { Cascade = new CascadeSettings { Full = true } };
        var wholePhotoOnly = new Matcher(_engine.Describer, _engine.RequireStore(), full with { VerifyQueryRegion = false });

        var closer = new Matcher(_engine.Describer, _engine.RequireStore(), full).Match(photo, new MatchRequest { TopK = 10 });
        var whole = wholePhotoOnly.Match(photo, new MatchRequest { TopK = 10 });

        var camelCloser = closer.Candidates.Single(c => c.ObjectId == "tux-animal-camel");
        var camelWhole = whole.Candidates.Single(c => c.ObjectId == "tux-animal-camel");
        Assert.True(camelCloser.Inliers > camelWhole.Inliers + 3, $"region check {camelCloser.Inliers} inliers, whole photo {camelWhole.Inliers}");
        Assert.Equal("tux-animal-camel", closer.Best!.ObjectId);
    }
}
