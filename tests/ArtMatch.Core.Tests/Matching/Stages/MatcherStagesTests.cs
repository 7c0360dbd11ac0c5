using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching.Stages;

/// <summary>The whole pipeline of stages on hand-made vectors, a fake store and fake catalogue pictures: no model.</summary>
public class MatcherStagesTests
{
    private static readonly MatchSettings Settings = new()
    {
        Thresholds = new VerdictThresholds { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f },
        // The cascade escalates until certain and never stops on "no match": each test reaches the stage it is about.
        Cascade = new CascadeSettings { StopMatchMargin = 0.3f, StopNoMatchBelow = 0 },
    };

    /// <summary>Three objects along three axes; each picture's local features a distinct layout.</summary>
    private static (FakeStore Store, FakePictures Pictures) Catalogue()
    {
        var store = new FakeStore()
            .Add("a", "a1", Vectors.Unit(0))
            .Add("b", "b1", Vectors.Unit(1))
            .Add("c", "c1", Vectors.Unit(2));
        var pictures = new FakePictures()
            .Add("a1", Vectors.Grid(4, 4, seed: 1))
            .Add("b1", Vectors.Grid(4, 4, seed: 2))
            .Add("c1", Vectors.Grid(4, 4, seed: 3));
        return (store, pictures);
    }

    private static readonly MatchSettings Full = Settings with { Cascade = new CascadeSettings { Full = true } };

    private static Matcher MatcherOf(FakeStore store, FakePictures pictures, MatchSettings? settings = null) =>
        new("fake", store, pictures, settings ?? Settings);

    [Fact]
    public void Match_WholePhotoOfAnObjectWithItsLayout_VerifiedMatchFromTheWholePhoto()
    {
        var (store, pictures) = Catalogue();
        var photo = new FakePhoto { Global = Vectors.Unit(0, (1, 0.3f)), Local = Vectors.Grid(4, 4, seed: 1) };

        var result = MatcherOf(store, pictures).Match(photo, new MatchRequest { TopK = 3 });

        Assert.Equal("a", result.Best!.ObjectId);
        Assert.Equal(HitSource.WholePhoto, result.Best.Source);
        Assert.Equal(16, result.Best.Inliers);
        Assert.Equal(Verdict.Match, result.Verdict);
        Assert.True(result.Margin >= 0.15f, $"margin {result.Margin}");
        // Other layouts line up only by chance.
        Assert.All(result.Candidates.Skip(1), c => Assert.True(c.Inliers <= 6, $"{c.ObjectId}: {c.Inliers}"));
    }

    [Fact]
    public void Match_ObjectSmallInAScene_FoundAndVerifiedThroughItsRegion()
    {
        var (store, pictures) = Catalogue();
        var sceneLocal = Vectors.Grid(4, 4, seed: 99);
        var photo = new FakePhoto
        {
            Global = Vectors.Unit(3),
            Local = sceneLocal,
            RegionVectors = [Vectors.Unit(4), Vectors.Unit(1, (4, 0.2f))],
            RegionLocals = region => region == 1 ? (Vectors.Grid(4, 4, seed: 2), new PixelRect(8, 8, 32, 32)) : null,
        };

        var result = MatcherOf(store, pictures).Match(photo, new MatchRequest { TopK = 3 });

        Assert.Equal("b", result.Best!.ObjectId);
        Assert.Equal(HitSource.Region(1), result.Best.Source);
        Assert.Equal(16, result.Best.Inliers);
        Assert.Equal(Verdict.Match, result.Verdict);
    }

    [Fact]
    public void Match_PhotoTakenSideways_FoundThroughTheTurnThatShowsIt()
    {
        var (store, pictures) = Catalogue();
        var blank = new RgbImage(64, 64, new byte[64 * 64 * 3]);
        var photo = new FakePhoto
        {
            Global = Vectors.Unit(5),
            TurnViews = [new TurnedView(1, blank, Vectors.Unit(6), null), new TurnedView(3, blank, Vectors.Unit(2, (6, 0.1f)), Vectors.Grid(4, 4, seed: 3))],
            Local = Vectors.Grid(4, 4, seed: 77),
        };

        var result = MatcherOf(store, pictures).Match(photo, new MatchRequest { TopK = 3 });

        Assert.Equal("c", result.Best!.ObjectId);
        Assert.Equal(HitSource.Turn(3), result.Best.Source);
        Assert.Equal(16, result.Best.Inliers);
    }

    [Fact]
    public void Match_CloseUpOnlyKeypointsFind_JoinsWithItsVectorScoresAndKeypointBonus()
    {
        var (store, pictures) = Catalogue();
        store.Add("d", "d1", Vectors.Unit(7));
        store.KeypointFinds.Add(new KeypointCandidate("d", "d1", 30, 40));
        // One keypoint is enough for the stage to search; the fake store answers from its finds.
        var photo = new FakePhoto { Global = Vectors.Unit(0, (7, 0.3f)), KeypointSet = new KeypointSet(64, 64, [new Keypoint(5, 5, 1, 0)], new ulong[4]) };

        var result = MatcherOf(store, pictures, Settings with { Shortlist = 1 }).Match(photo, new MatchRequest { TopK = 1 });

        Assert.Equal("d", result.Best!.ObjectId);
        Assert.Equal(HitSource.Keypoints, result.Best.Source);
        Assert.Equal(30, result.Best.KeypointInliers);
    }

    [Fact]
    public void Match_ExcludedObject_NeverAnswered()
    {
        var (store, pictures) = Catalogue();
        var photo = new FakePhoto { Global = Vectors.Unit(0, (1, 0.3f)), Local = Vectors.Grid(4, 4, seed: 1) };

        var result = MatcherOf(store, pictures).Match(photo, new MatchRequest { TopK = 3, ExcludeObjectIds = new HashSet<string> { "a" } });

        Assert.DoesNotContain(result.Candidates, c => c.ObjectId == "a");
        Assert.NotEqual(Verdict.Match, result.Verdict);
    }

    [Fact]
    public void Match_Full_RunsEveryStageOnceInOrder()
    {
        var (store, pictures) = Catalogue();
        var photo = new FakePhoto { Global = Vectors.Unit(0), Local = Vectors.Grid(4, 4, seed: 1) };

        var result = MatcherOf(store, pictures, Full).Match(photo, new MatchRequest());

        Assert.Equal(["describe", "search", "regions", "turns", "keypoints", "verify", "colour", "judge"], result.Timings.StageTimes.Select(t => t.Stage));
        Assert.DoesNotContain(result.Timings.Stages(), s => s.Stage == "decode");
        Assert.Equal(Matcher.FullRun, result.AnsweredAfter);
        Assert.Equal(1, photo.RegionsRead);
    }

    [Fact]
    public void Match_TopKBelowOne_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            MatcherOf(Catalogue().Store, Catalogue().Pictures).Match(new FakePhoto { Global = Vectors.Unit(0) }, new MatchRequest { TopK = 0 }));
}
