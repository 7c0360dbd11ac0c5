using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching.Stages;

/// <summary>The cascade's rules on hand-made vectors: when it stops, when it escalates, and that escalating all the way gives the full answer.</summary>
public class CascadeTests
{
    private static readonly MatchSettings Settings = new()
    {
        Thresholds = new VerdictThresholds { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f },
        // Speculation off: these tests count which parts the sequential cascade reads (SpeculationTests: with it on).
        Cascade = new CascadeSettings { StopMatchMargin = 0.3f, StopNoMatchBelow = 0, Speculate = SpeculationMode.Off },
    };

    private static (FakeStore Store, FakePictures Pictures) Catalogue()
    {
        var store = new FakeStore().Add("a", "a1", Vectors.Unit(0)).Add("b", "b1", Vectors.Unit(1)).Add("c", "c1", Vectors.Unit(2));
        var pictures = new FakePictures().Add("a1", Vectors.Grid(4, 4, 1)).Add("b1", Vectors.Grid(4, 4, 2)).Add("c1", Vectors.Grid(4, 4, 3));
        return (store, pictures);
    }

    private static Matcher MatcherOf(MatchSettings settings)
    {
        var (store, pictures) = Catalogue();
        return new Matcher("fake", store, pictures, settings);
    }

    /// <summary>A photo the whole-photo search finds and verifies (object "a").</summary>
    private static FakePhoto Easy() => new() { Global = Vectors.Unit(0, (1, 0.2f)), Local = Vectors.Grid(4, 4, 1), RegionVectors = [Vectors.Unit(1)] };

    /// <summary>A photo only a region finds (object "b" small in a scene).</summary>
    private static FakePhoto SmallInScene() => new()
    {
        Global = Vectors.Unit(3, (0, 0.3f)),
        Local = Vectors.Grid(4, 4, 50),
        RegionVectors = [Vectors.Unit(4), Vectors.Unit(1, (4, 0.2f))],
        RegionLocals = region => region == 1 ? (Vectors.Grid(4, 4, 2), new PixelRect(8, 8, 32, 32)) : null,
        TurnViews = [new TurnedView(1, new RgbImage(64, 64, new byte[64 * 64 * 3]), Vectors.Unit(5), null)],
    };

    [Fact]
    public void Cascade_VerifiedMatchWithClearLead_StopsAfterTheCheapPass()
    {
        var photo = Easy();
        var result = MatcherOf(Settings).Match(photo, new MatchRequest());

        Assert.Equal("a", result.Best!.ObjectId);
        Assert.Equal(Verdict.Match, result.Verdict);
        Assert.Equal(Matcher.CheapPass, result.AnsweredAfter);
        Assert.Equal((0, 0, 0), (photo.RegionsRead, photo.TurnsRead, photo.KeypointsRead));
        Assert.Equal(["describe", "search", "verify", "colour", "judge"], result.Timings.StageTimes.Select(t => t.Stage));
    }

    [Fact]
    public void Cascade_MatchButLeadBelowTheStopMargin_Escalates()
    {
        var photo = Easy();
        var result = MatcherOf(Settings with { Cascade = Settings.Cascade with { StopMatchMargin = 5f } }).Match(photo, new MatchRequest());

        Assert.Equal(Verdict.Match, result.Verdict);
        Assert.Equal("regions", result.AnsweredAfter);
        Assert.Equal(1, photo.RegionsRead);
    }

    [Fact]
    public void Cascade_UncertainPhoto_EscalatesInOrderUntilCertain_SameAnswerAsFull()
    {
        var photo = SmallInScene();
        var cascade = MatcherOf(Settings).Match(photo, new MatchRequest());
        var full = MatcherOf(Settings with { Cascade = new CascadeSettings { Full = true } }).Match(SmallInScene(), new MatchRequest());

        Assert.Equal("regions", cascade.AnsweredAfter);
        Assert.Equal(1, photo.TurnsRead);
        Assert.Equal(1, photo.KeypointsRead);
        Assert.Equal(full.Candidates.Select(c => (c.ObjectId, c.Score, c.Verdict, c.Source)), cascade.Candidates.Select(c => (c.ObjectId, c.Score, c.Verdict, c.Source)));
        Assert.Equal(full.Margin, cascade.Margin);
        Assert.Equal(HitSource.Region(1), cascade.Best!.Source);
    }

    [Fact]
    public void Cascade_EscalationOrderFromSettings_StopsAtTheFirstStageThatMakesItCertain()
    {
        var photo = SmallInScene();
        var result = MatcherOf(Settings with { Cascade = Settings.Cascade with { Escalation = ["regions", "turns", "keypoints"] } }).Match(photo, new MatchRequest());

        Assert.Equal("regions", result.AnsweredAfter);
        Assert.Equal((0, 0), (photo.TurnsRead, photo.KeypointsRead));
    }

    [Fact]
    public void Cascade_NothingResembles_StopsWithNoMatchWhenCalibrationSaysEnough()
    {
        var photo = new FakePhoto { Global = Vectors.Unit(6), Local = Vectors.Grid(4, 4, 60), RegionVectors = [Vectors.Unit(7)] };
        var result = MatcherOf(Settings with { Cascade = Settings.Cascade with { StopNoMatchBelow = 0.5f } }).Match(photo, new MatchRequest());

        Assert.Equal(Verdict.NoMatch, result.Verdict);
        Assert.Equal(Matcher.CheapPass, result.AnsweredAfter);
        Assert.Equal(0, photo.RegionsRead);
    }

    [Fact]
    public void Cascade_NoMatchRulePerStep_ZeroAfterTheCheapPassLetsThePhotoEscalateThenStopsAfterKeypoints()
    {
        var photo = new FakePhoto { Global = Vectors.Unit(6), Local = Vectors.Grid(4, 4, 60), RegionVectors = [Vectors.Unit(7)] };
        var rules = Settings.Cascade with { StopNoMatchBelow = 0.5f, StopNoMatchBelowAfter = new() { ["search"] = 0, ["keypoints"] = 0.5f } };
        var result = MatcherOf(Settings with { Cascade = rules }).Match(photo, new MatchRequest());

        Assert.Equal(Verdict.NoMatch, result.Verdict);
        Assert.Equal("keypoints", result.AnsweredAfter);
        Assert.Equal((0, 0), (photo.RegionsRead, photo.TurnsRead));
    }

    /// <summary>A photo whose best candidate is "a" by its global vector alone (plain cosine about 0.62), its local features unrelated or, with <paramref name="linesUp"/>, those of "a"'s picture.</summary>
    private static FakePhoto LookAlike(bool linesUp) =>
        new() { Global = Vectors.Unit(6, (0, 0.8f)), Local = linesUp ? Vectors.Grid(4, 4, 1) : Vectors.Grid(4, 4, 60), RegionVectors = [Vectors.Unit(7)] };

    private static readonly CascadeSettings UnverifiedRule = Settings.Cascade with
    {
        StopNoMatchBelow = 0.5f, StopNoMatchBelowAfter = new() { ["search"] = 0, ["keypoints"] = 0 }, StopUnverifiedBelowAfter = new() { ["keypoints"] = 0.65f },
        UnverifiedGeometry = 0.05f, // the fakes' chance inliers on unrelated pictures give a small bonus
    };

    [Fact]
    public void Cascade_LookAlikeNothingLinesUpWith_StopsAfterKeypointsByTheUnverifiedRule()
    {
        var photo = LookAlike(linesUp: false);
        var result = MatcherOf(Settings with { Cascade = UnverifiedRule }).Match(photo, new MatchRequest());

        Assert.Equal(Verdict.NoMatch, result.Verdict);
        Assert.Equal("a", result.Best!.ObjectId);
        Assert.Equal(result.Best.Similarity, result.Best.Score);   // no geometric bonus
        Assert.True(result.AnsweredAfter == "keypoints", $"answered after {result.AnsweredAfter}: {string.Join(", ", result.Candidates.Select(c => $"{c.ObjectId} {c.Score} {c.Similarity} {c.Inliers} {c.KeypointInliers}"))}");
        Assert.Equal((0, 0, 1), (photo.RegionsRead, photo.TurnsRead, photo.KeypointsRead));
    }

    [Fact]
    public void Cascade_SameScoreButTheLayoutLinesUp_Escalates()
    {
        var photo = LookAlike(linesUp: true);
        var result = MatcherOf(Settings with { Cascade = UnverifiedRule }).Match(photo, new MatchRequest());

        Assert.True(result.Best!.Score > result.Best.Similarity, "the CNN check should add a bonus");
        Assert.Equal("regions", result.AnsweredAfter);
        Assert.Equal(1, photo.RegionsRead);
    }

    [Fact]
    public void Cascade_UnverifiedRuleWithTheNoMatchSwitchOff_Escalates()
    {
        var photo = LookAlike(linesUp: false);
        var result = MatcherOf(Settings with { Cascade = UnverifiedRule with { StopNoMatchBelow = 0 } }).Match(photo, new MatchRequest());

        Assert.Equal("regions", result.AnsweredAfter);
    }

    [Fact]
    public void Validate_UnverifiedRuleForAnUnknownStepOrNegativeGeometry_NamesTheSetting()
    {
        var unknown = new CascadeSettings { StopUnverifiedBelowAfter = new() { ["colour"] = 0.5f } };
        var negative = new CascadeSettings { UnverifiedGeometry = -0.1f };

        Assert.Contains("stop_unverified_below_after", Assert.Throws<ArgumentException>(unknown.Validate).Message);
        Assert.Contains("unverified_geometry", Assert.Throws<ArgumentException>(negative.Validate).Message);
    }

    [Fact]
    public void Validate_NoMatchRuleForAnUnknownStep_NamesTheSetting()
    {
        var rules = new CascadeSettings { StopNoMatchBelowAfter = new() { ["colour"] = 0.5f } };

        var error = Assert.Throws<ArgumentException>(rules.Validate);
        Assert.Contains("stop_no_match_below_after", error.Message);
    }

    [Fact]
    public void Trace_NeverStops_LastStepIsTheFullAnswer()
    {
        var trace = MatcherOf(Settings).Trace(Easy(), new MatchRequest());
        var full = MatcherOf(Settings with { Cascade = new CascadeSettings { Full = true } }).Match(Easy(), new MatchRequest());

        Assert.Equal([Matcher.CheapPass, "keypoints", "turns", "regions"], trace.Select(t => t.Step));
        Assert.Equal(full.Candidates.Select(c => (c.ObjectId, c.Score)), trace[^1].Judgement.Ranked.Take(5).Select(c => (c.ObjectId, c.Score)));
    }

    [Theory]
    [InlineData("regions,colour")]
    [InlineData("turns,turns")]
    public void Settings_UnknownOrRepeatedEscalationStage_Refused(string escalation) =>
        Assert.Throws<ArgumentException>(() => new CascadeSettings { Escalation = escalation.Split(',') }.Validate());

    [Fact]
    public void Settings_NegativeStopMargin_Refused() =>
        Assert.Throws<ArgumentException>(() => MatcherOf(Settings with { Cascade = new CascadeSettings { StopMatchMargin = -1 } }));
}
