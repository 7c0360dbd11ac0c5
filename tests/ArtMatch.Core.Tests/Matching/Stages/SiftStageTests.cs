using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Tests.Matching.Stages;

/// <summary>The SIFT stage in the pipeline, with a fake feature engine (no OpenCV) and a fake store.</summary>
public class SiftStageTests
{
    private static readonly MatchSettings Settings = new()
    {
        Thresholds = new VerdictThresholds { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f },
        SiftBonus = 0.8f,
        SiftFloor = 6,
        SiftCap = 24,
    };

    private static (FakeStore Store, FakePictures Pictures) Catalogue()
    {
        var store = new FakeStore().Add("a", "a1", Vectors.Unit(0)).Add("b", "b1", Vectors.Unit(1)).Add("d", "d1", Vectors.Unit(7));
        store.SiftPictures.Add(("a", "a1", FakeFeatureEngine.Picture(1, 40)));
        store.SiftPictures.Add(("d", "d1", FakeFeatureEngine.Picture(4, 40)));
        return (store, new FakePictures());
    }

    private static Matcher MatcherOf(FakeStore store, FakePictures pictures, byte queryPicture, int features) =>
        new("fake", store, pictures, Settings with { Shortlist = 1 }, new SiftSearch(new FakeFeatureEngine(queryPicture, features), store, new SiftSettings { MinLongSide = 16 }));

    [Fact]
    public void Match_ObjectOnlySiftFinds_JoinsWithItsVectorScoresAndTheFullSiftBonus()
    {
        var (store, pictures) = Catalogue();
        var photo = new FakePhoto { Global = Vectors.Unit(1, (7, 0.3f)) };

        // The vector search fetches one object ("b"); only SIFT finds "d".
        var result = MatcherOf(store, pictures, queryPicture: 4, features: 30).Match(photo, new MatchRequest { TopK = 1 });

        Assert.Equal("d", result.Best!.ObjectId);
        Assert.Equal(HitSource.Sift, result.Best.Source);
        Assert.Equal(30, result.Best.SiftInliers);
        Assert.Equal(result.Best.Similarity + Settings.SiftBonus, result.Best.Score, 1e-5f);
        Assert.Contains(result.Timings.StageTimes, t => t.Stage == "sift");
    }

    [Fact]
    public void Match_FewSiftInliers_NoBonusAndNoNewcomer()
    {
        var (store, pictures) = Catalogue();
        var photo = new FakePhoto { Global = Vectors.Unit(1, (7, 0.3f)) };

        var result = MatcherOf(store, pictures, queryPicture: 4, features: Settings.SiftFloor).Match(photo, new MatchRequest { TopK = 2 });

        Assert.Equal("b", result.Best!.ObjectId);
        Assert.All(result.Candidates, c => Assert.Equal(0, c.SiftInliers));
    }

    [Fact]
    public void Match_ExcludedObject_SiftDoesNotBringItBack()
    {
        var (store, pictures) = Catalogue();
        var photo = new FakePhoto { Global = Vectors.Unit(1) };

        var result = MatcherOf(store, pictures, queryPicture: 4, features: 30).Match(photo, new MatchRequest { TopK = 3, ExcludeObjectIds = new HashSet<string> { "d" } });

        Assert.DoesNotContain(result.Candidates, c => c.ObjectId == "d");
    }
}
