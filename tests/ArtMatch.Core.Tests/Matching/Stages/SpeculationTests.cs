using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching.Stages;

/// <summary>
/// Speculation (the escalation's photo-only inputs computed ahead of need on an idle core): the same
/// answers as the sequential cascade, only on idle cores, nothing half-done when stopped, failures
/// surfacing in the stage. Orderings between the match thread and the speculation are forced with
/// signals (the waits' limits only keep a broken build from hanging), never with timings.
/// </summary>
public class SpeculationTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static readonly MatchSettings Sequential = new()
    {
        Thresholds = new VerdictThresholds { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f },
        Cascade = new CascadeSettings { StopMatchMargin = 0.3f, StopNoMatchBelow = 0, Speculate = SpeculationMode.Off },
    };

    private static readonly MatchSettings Speculating = Sequential with { Cascade = Sequential.Cascade with { Speculate = SpeculationMode.Auto } };

    /// <summary>Four objects along axes; "d" is found by its keypoints only (a close-up).</summary>
    private static Matcher MatcherOf(MatchSettings settings, SpeculationGate? gate = null)
    {
        var store = new FakeStore().Add("a", "a1", Vectors.Unit(0)).Add("b", "b1", Vectors.Unit(1)).Add("c", "c1", Vectors.Unit(2)).Add("d", "d1", Vectors.Unit(7));
        store.KeypointFinds.Add(new KeypointCandidate("d", "d1", 30, 40));
        var pictures = new FakePictures().Add("a1", Vectors.Grid(4, 4, 1)).Add("b1", Vectors.Grid(4, 4, 2)).Add("c1", Vectors.Grid(4, 4, 3));
        return new Matcher("fake", store, pictures, settings) { Gate = gate ?? new SpeculationGate(64) };
    }

    private static readonly KeypointSet SomeKeypoints = new(64, 64, [new Keypoint(5, 5, 1, 0)], new ulong[4]);

    /// <summary>Photos the cascade answers at different steps: the cheap pass, the keypoints, the regions.</summary>
    public static TheoryData<string> Kinds => new() { "easy", "close-up", "small-in-scene", "nothing" };

    private static FakePhoto Photo(string kind, Action<string>? onRead = null, Action? beforeGlobal = null) => kind switch
    {
        "easy" => new() { Global = Vectors.Unit(0, (1, 0.2f)), Local = Vectors.Grid(4, 4, 1), RegionVectors = [Vectors.Unit(1)], OnRead = onRead, BeforeGlobal = beforeGlobal },
        "close-up" => new() { Global = Vectors.Unit(0, (7, 0.3f)), KeypointSet = SomeKeypoints, RegionVectors = [Vectors.Unit(5)], OnRead = onRead, BeforeGlobal = beforeGlobal },
        "small-in-scene" => new()
        {
            Global = Vectors.Unit(3, (0, 0.3f)), Local = Vectors.Grid(4, 4, 50), KeypointSet = SomeKeypoints,
            RegionVectors = [Vectors.Unit(4), Vectors.Unit(1, (4, 0.2f))],
            RegionLocals = region => region == 1 ? (Vectors.Grid(4, 4, 2), new PixelRect(8, 8, 32, 32)) : null,
            TurnViews = [new TurnedView(1, new RgbImage(64, 64, new byte[64 * 64 * 3]), Vectors.Unit(5), null)],
            OnRead = onRead, BeforeGlobal = beforeGlobal,
        },
        _ => new() { Global = Vectors.Unit(6), Local = Vectors.Grid(4, 4, 60), RegionVectors = [Vectors.Unit(6)], OnRead = onRead, BeforeGlobal = beforeGlobal },
    };

    private static string Answer(MatchResult r) =>
        $"{r.Verdict} after {r.AnsweredAfter}, margin {r.Margin:R}: "
        + string.Join("; ", r.Candidates.Select(c => $"{c.ObjectId} {c.Score:R} {c.RankScore:R} {c.Similarity:R} {c.Verdict} {c.Source} {c.Inliers} {c.KeypointInliers}"));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Match_SpeculationComputedEveryPartFirst_SameAnswerAsSequential(string kind)
    {
        // The match thread starts only once the speculation has reached all three parts.
        using var allReached = new ManualResetEventSlim();
        int reached = 0;
        var photo = Photo(kind, onRead: _ => { if (Interlocked.Increment(ref reached) == 3) allReached.Set(); }, beforeGlobal: () => Assert.True(allReached.Wait(HangGuard)));

        var speculated = MatcherOf(Speculating).Match(photo, new MatchRequest());
        var sequential = MatcherOf(Sequential).Match(Photo(kind), new MatchRequest());

        Assert.Equal(Answer(sequential), Answer(speculated));
        Assert.True(speculated.Timings.Speculation.Started);
        // Each part computed once, by the speculation; a stage that needed one took it.
        Assert.Equal((1, 1, 1), (photo.KeypointsRead, photo.TurnsRead, photo.RegionsRead));
        int escalated = sequential.AnsweredAfter switch { Matcher.CheapPass => 0, "keypoints" => 1, "turns" => 2, _ => 3 };
        Assert.Equal(escalated, speculated.Timings.Speculation.Used);
        Assert.Equal(3 - escalated, speculated.Timings.Speculation.Wasted);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Match_SpeculationRacingTheMatch_SameAnswerAsSequential(string kind)
    {
        var speculated = MatcherOf(Speculating).Match(Photo(kind), new MatchRequest());
        var sequential = MatcherOf(Sequential).Match(Photo(kind), new MatchRequest());

        Assert.Equal(Answer(sequential), Answer(speculated));
    }

    [Fact]
    public void SpeculationOrder_FirstEscalationStepThenFromTheLastBack()
    {
        var store = new FakeStore();
        ISpeculativeStage[] escalation = [new KeypointsStage(store, new(1, 4, 10)), new TurnsStage(store, 10), new RegionsStage(store, 10)];

        Assert.Equal(["keypoints", "regions", "turns"], Matcher.SpeculationOrder(escalation).Select(s => s.Name));
        Assert.Empty(Matcher.SpeculationOrder([]));
    }

    [Fact]
    public void Match_EveryCoreBusy_DoesNotSpeculate()
    {
        // One core, taken by the match itself.
        var photo = Photo("small-in-scene");
        var result = MatcherOf(Speculating, new SpeculationGate(1)).Match(photo, new MatchRequest());

        Assert.False(result.Timings.Speculation.Started);
        Assert.Equal(Answer(MatcherOf(Sequential).Match(Photo("small-in-scene"), new MatchRequest())), Answer(result));
    }

    [Fact]
    public void Gate_MatchesAndSpeculationsFillTheCores_RefusesUntilOneEnds()
    {
        var gate = new SpeculationGate(2);
        using var first = gate.EnterMatch();
        var speculation = gate.TryEnterSpeculation();
        Assert.NotNull(speculation);
        Assert.Null(gate.TryEnterSpeculation());

        var second = gate.EnterMatch();
        Assert.True(gate.Oversubscribed);
        speculation!.Dispose();
        speculation.Dispose(); // once only
        Assert.Equal(2, gate.Busy);
        Assert.Null(gate.TryEnterSpeculation());

        second.Dispose();
        Assert.NotNull(gate.TryEnterSpeculation());
    }

    [Fact]
    public void Gate_MatchArrivesWithEveryCoreTaken_StopsTheOldestSpeculation()
    {
        var gate = new SpeculationGate(2);
        using var first = gate.EnterMatch();
        var stopped = new List<string>();
        using var older = gate.TryEnterSpeculation(() => stopped.Add("older"));
        Assert.Empty(stopped);

        using var second = gate.EnterMatch();

        Assert.Equal(["older"], stopped);
        older!.Dispose();
        using var third = gate.EnterMatch(); // nothing left to stop
        Assert.Equal(["older"], stopped);
    }

    [Fact]
    public async Task Speculation_StoppedByTheGateInsideAPart_LeavesItForTheStage()
    {
        var stage = new ControlledStage();
        var gate = new SpeculationGate(2);
        using var match = gate.EnterMatch();
        var speculation = new Speculation(Context(), [stage], gate);
        Assert.True(speculation.TryStart());
        Assert.True(stage.Entered.Wait(HangGuard));

        using var arriving = gate.EnterMatch();
        stage.Release.Set();
        await speculation.Worker!.WaitAsync(HangGuard);

        Assert.Equal(2, gate.Busy); // the two matches; the speculation gave its core back
        Assert.Equal((0, 1), (speculation.Report().Used, speculation.Report().Wasted));
        Assert.Equal("computed here", speculation.Take("controlled", () => "computed here"));
    }

    [Fact]
    public void Match_AnsweredWhileSpeculating_StopsBetweenPartsAndGivesTheCoreBack()
    {
        var gate = new SpeculationGate(64);
        using var keypointsEntered = new ManualResetEventSlim();
        using var matchAnswered = new ManualResetEventSlim();
        var photo = Photo("easy",
            onRead: part => { if (part == "keypoints") { keypointsEntered.Set(); Assert.True(matchAnswered.Wait(HangGuard)); } },
            beforeGlobal: () => Assert.True(keypointsEntered.Wait(HangGuard)));

        var result = MatcherOf(Speculating, gate).Match(photo, new MatchRequest());
        matchAnswered.Set();

        Assert.Equal(Matcher.CheapPass, result.AnsweredAfter);
        Assert.True(SpinWait.SpinUntil(() => gate.Busy == 0, HangGuard), "the speculation should end and give its core back");
        Assert.Equal((1, 0, 0), (photo.KeypointsRead, photo.TurnsRead, photo.RegionsRead));
        Assert.Equal((0, 1), (result.Timings.Speculation.Used, result.Timings.Speculation.Wasted));
    }

    [Fact]
    public void Match_SpeculatedPartThrows_TheStageThatNeedsItThrowsIt()
    {
        using var keypointsTried = new ManualResetEventSlim();
        var photo = Photo("close-up",
            onRead: part => { if (part == "keypoints") { keypointsTried.Set(); throw new InvalidOperationException("detector failed"); } },
            beforeGlobal: () => Assert.True(keypointsTried.Wait(HangGuard)));

        var error = Assert.Throws<InvalidOperationException>(() => MatcherOf(Speculating).Match(photo, new MatchRequest()));

        Assert.Equal("detector failed", error.Message);
        Assert.Equal(1, photo.KeypointsRead); // kept from the speculation, not computed again
    }

    /// <summary>A speculative stage whose work waits for the test, then honours a stop; or throws.</summary>
    private sealed class ControlledStage(bool fails = false) : ISpeculativeStage
    {
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();

        public string Name => "controlled";

        public void Run(MatchContext context) { }

        public object Prepare(MatchContext context, CancellationToken stop)
        {
            Entered.Set();
            Assert.True(Release.Wait(HangGuard, CancellationToken.None));
            if (fails)
                throw new InvalidDataException("speculated part failed");
            stop.ThrowIfCancellationRequested();
            return "speculated";
        }
    }

    private static MatchContext Context() => new(Photo("easy"), new MatchRequest());

    [Fact]
    public async Task Speculation_StoppedInsideAPart_LeavesItUncomputedForTheStage()
    {
        var stage = new ControlledStage();
        var gate = new SpeculationGate(4);
        var speculation = new Speculation(Context(), [stage], gate);

        Assert.True(speculation.TryStart());
        Assert.True(stage.Entered.Wait(HangGuard));
        speculation.Stop();
        stage.Release.Set();
        await speculation.Worker!.WaitAsync(HangGuard);

        Assert.Equal(TaskStatus.RanToCompletion, speculation.Worker.Status);
        Assert.Equal(0, gate.Busy);
        Assert.Equal((0, 1), (speculation.Report().Used, speculation.Report().Wasted));
        Assert.Equal("computed here", speculation.Take("controlled", () => "computed here"));
    }

    [Fact]
    public async Task Speculation_PartFails_TaskCompletesAndTheReaderGetsTheException()
    {
        var stage = new ControlledStage(fails: true);
        var speculation = new Speculation(Context(), [stage], new SpeculationGate(4));

        Assert.True(speculation.TryStart());
        stage.Release.Set();
        await speculation.Worker!.WaitAsync(HangGuard);

        Assert.Equal(TaskStatus.RanToCompletion, speculation.Worker.Status);
        bool computedHere = false;
        var error = Assert.Throws<InvalidDataException>(() => speculation.Take("controlled", () => { computedHere = true; return "computed here"; }));
        Assert.Equal("speculated part failed", error.Message);
        Assert.False(computedHere);
    }

    [Fact]
    public void Speculation_NoIdleCore_DoesNotStartAndTheStageComputes()
    {
        var gate = new SpeculationGate(1);
        using var match = gate.EnterMatch();
        var stage = new ControlledStage();
        var speculation = new Speculation(Context(), [stage], gate);

        Assert.False(speculation.TryStart());
        Assert.False(stage.Entered.IsSet);
        Assert.Equal("computed here", speculation.Take("controlled", () => "computed here"));
        Assert.Equal(SpeculationReport.None, speculation.Report());
    }

    [Fact]
    public void OnceComputed_CancelledThenFailed_EmptyAfterTheCancellationFailureKept()
    {
        var cell = new OnceComputed<string>();
        Assert.Throws<OperationCanceledException>(() => cell.Get(() => throw new OperationCanceledException()));
        Assert.False(cell.Started);

        Assert.Throws<FormatException>(() => cell.Get(() => throw new FormatException("bad")));
        Assert.Throws<FormatException>(() => cell.Get(() => "never asked"));
        Assert.False(cell.TrySpeculate(() => "never asked"));
    }
}
