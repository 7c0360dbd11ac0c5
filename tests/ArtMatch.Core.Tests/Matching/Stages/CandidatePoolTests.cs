using ArtMatch.Core.Catalog;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching.Stages;

public class CandidatePoolTests
{
    [Fact]
    public void Add_BetterRankedHitFromAnotherView_TakesOverWithItsSource()
    {
        var pool = new CandidatePool();
        pool.Add([new VectorHit("a", "a1", 0, 0.6f)], HitSource.WholePhoto);
        pool.Add([new VectorHit("a", "a2", 0, 0.8f)], HitSource.Region(2));

        var fused = pool["a"]!;
        Assert.Equal(HitSource.Region(2), fused.Source);
        Assert.Equal("a2", fused.Hit.ImageId);
        Assert.Equal(0.8f, fused.Plain);
    }

    [Fact]
    public void Add_WhitenedRankWinsButPlainTrails_KeepsTheBestPlainCosineSeen()
    {
        var pool = new CandidatePool();
        pool.Add([new VectorHit("a", "a1", 0, 0.9f) { WhitenedScore = 0.3f }], HitSource.WholePhoto);
        pool.Add([new VectorHit("a", "a1", 0, 0.5f) { WhitenedScore = 0.6f }], HitSource.Turn(1));

        var fused = pool["a"]!;
        Assert.Equal(HitSource.Turn(1), fused.Source);
        Assert.Equal(0.6f, fused.Hit.RankScore);
        Assert.Equal(0.9f, fused.Plain);
    }

    [Fact]
    public void Add_WorseRankedButHigherPlain_KeepsSourceRaisesPlain()
    {
        var pool = new CandidatePool();
        pool.Add([new VectorHit("a", "a1", 0, 0.5f) { WhitenedScore = 0.6f }], HitSource.WholePhoto);
        pool.Add([new VectorHit("a", "a1", 0, 0.7f) { WhitenedScore = 0.2f }], HitSource.Region(0));

        Assert.Equal(HitSource.WholePhoto, pool["a"]!.Source);
        Assert.Equal(0.7f, pool["a"]!.Plain);
    }

    [Fact]
    public void Add_EqualRank_FirstViewKeepsTheObject()
    {
        var pool = new CandidatePool();
        pool.Add([new VectorHit("a", "a1", 0, 0.7f)], HitSource.WholePhoto);
        pool.Add([new VectorHit("a", "a1", 0, 0.7f)], HitSource.Turn(2));

        Assert.Equal(HitSource.WholePhoto, pool["a"]!.Source);
    }

    [Fact]
    public void Add_ExcludedObject_NeverEnters()
    {
        var pool = new CandidatePool(new HashSet<string> { "b" });
        pool.Add([new VectorHit("a", "a1", 0, 0.5f), new VectorHit("b", "b1", 0, 0.9f)], HitSource.WholePhoto);

        Assert.Equal(1, pool.Count);
        Assert.False(pool.Contains("b"));
    }

    [Fact]
    public void Leaders_OrderedByRankPlusBonus_TiesByObjectId()
    {
        var pool = new CandidatePool();
        pool.Add([new VectorHit("c", "c1", 0, 0.5f), new VectorHit("b", "b1", 0, 0.5f), new VectorHit("a", "a1", 0, 0.6f)], HitSource.WholePhoto);

        Assert.Equal(["a", "b", "c"], pool.Leaders(3, _ => 0).Select(h => h.Hit.ObjectId));
        Assert.Equal(["c", "a"], pool.Leaders(2, id => id == "c" ? 0.2f : 0).Select(h => h.Hit.ObjectId));
    }

    [Fact]
    public void HitSource_NamesTheView()
    {
        Assert.Equal("whole", HitSource.WholePhoto.ToString());
        Assert.Equal("region 4", HitSource.Region(4).ToString());
        Assert.Equal("turn 270", HitSource.Turn(3).ToString());
        Assert.Equal("keypoints", HitSource.Keypoints.ToString());
    }
}
