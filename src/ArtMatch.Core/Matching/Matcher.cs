using System.Diagnostics;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Matching;

/// <summary>One catalogue object offered as the answer, with the evidence behind its score.</summary>
public sealed record Candidate(string ObjectId, string ImageId, float Score, float Similarity, int Inliers, Verdict Verdict)
{
    public CulturalObject? Record { get; init; }

    /// <summary>How far the colours of the geometrically matched parts lie apart (<see cref="ColourCheck"/>); null when not judged.</summary>
    public float? ColourShift { get; init; }

    /// <summary>
    /// What candidates are ordered by: the whitened similarity (when the store whitens) plus the same
    /// geometric bonus. Whitening tells objects apart better; <see cref="Score"/> keeps the plain cosine,
    /// whose scale the verdict thresholds were calibrated on and which does not move with the catalogue.
    /// </summary>
    public float RankScore { get; init; }

    /// <summary>Photo keypoints that line up, pixel for pixel, with this object's picture (<see cref="KeypointDetector"/>); 0 when none.</summary>
    public int KeypointInliers { get; init; }

    /// <summary>SIFT features of the photo that agree with this object's picture on one homography (<see cref="SiftVerifier"/>); 0 when none.</summary>
    public int SiftInliers { get; init; }

    /// <summary>The view of the photo that found this object.</summary>
    public HitSource Source { get; init; }

    /// <summary>The 1:1 verification score that backed (or did not back) a "possible" (<see cref="PossibleEvidence"/>); null when not checked.</summary>
    public float? Evidence { get; init; }

    /// <summary>SIFT inliers the "possible" check found for this candidate (<see cref="SiftEvidence"/>); null when not checked.</summary>
    public int? EvidenceInliers { get; init; }

    /// <summary>The verdict on the score alone, when the SIFT evidence check changed or upheld it; null when not checked.</summary>
    public Verdict? VerdictBeforeEvidence { get; init; }

    /// <summary>How far this candidate, ranked first, stands out from the others (<see cref="Matching.StandOut"/>); null for the others, or with too few candidates.</summary>
    public StandOut? StandOut { get; init; }
}

public sealed record MatchResult(IReadOnlyList<Candidate> Candidates, Verdict Verdict, float BestScore, string ModelId, double Milliseconds)
{
    /// <summary>How far the best candidate leads the runner-up.</summary>
    public float Margin { get; init; }

    public Candidate? Best => Candidates.Count > 0 ? Candidates[0] : null;

    /// <summary>Time per pipeline stage.</summary>
    public MatchTimings Timings { get; init; } = MatchTimings.None;

    /// <summary>
    /// The search step after which the answer was given: "search" (the cheap pass), or the escalation
    /// stage the cascade stopped after ("keypoints", "turns", "regions"); "full" when every stage ran by setting.
    /// </summary>
    public string AnsweredAfter { get; init; } = Matcher.FullRun;
}

public sealed record MatchRequest
{
    public int TopK { get; init; } = 5;
    public SearchFilter Filter { get; init; } = SearchFilter.None;

    /// <summary>Objects never to return (leave-one-out calibration).</summary>
    public IReadOnlySet<string>? ExcludeObjectIds { get; init; }
}

/// <summary>
/// The matching pipeline shared by the server, the CLI and evaluation, as named stages
/// (<see cref="IMatchStage"/>): describe the whole photo, search the store with its vector, verify the
/// leaders geometrically against the catalogue picture that matched, compare their colours, and judge
/// (on the plain cosine plus geometric agreement, the scale the thresholds know). That cheap pass
/// answers when the answer is certain by the calibrated rules (<see cref="CascadeSettings"/>);
/// otherwise the photo escalates through the costlier searches (keypoints, quarter turns, regions),
/// judged again after each. Every object's best evidence over the views searched is kept
/// (<see cref="CandidatePool"/>), in a way that does not depend on the order, so a photo that
/// escalated through every stage gets the answer of a full match. Thread-safe.
/// </summary>
public sealed class Matcher
{
    /// <summary><see cref="MatchResult.AnsweredAfter"/> of a match that ran every stage by setting.</summary>
    public const string FullRun = "full";

    /// <summary><see cref="MatchResult.AnsweredAfter"/> of a match the cheap pass answered.</summary>
    public const string CheapPass = "search";

    private readonly ImageDescriber? _describer;
    private readonly string _vectorSpaceId;
    private readonly ICatalogStore _store;
    private readonly IMatchStage _describe, _search, _verify, _colour, _judge;
    private readonly Dictionary<string, IMatchStage> _escalation;

    /// <summary>The escalation stages whose inputs a speculation computes ahead of need, in the cascade's order.</summary>
    private readonly ISpeculativeStage[] _speculative;

    /// <param name="sift">The SIFT search over the whole catalogue (a stage of its own); null: none.</param>
    public Matcher(ImageDescriber describer, ICatalogStore store, MatchSettings settings, SiftSearch? sift = null)
        : this(describer, describer.VectorSpaceId, store, new CataloguePictureCache(describer, store), settings, sift)
    {
    }

    /// <summary>
    /// Matches photos already described (<see cref="Match(IQueryPhoto, MatchRequest, CancellationToken)"/>), with
    /// the catalogue pictures verification reads given: what tests use, with hand-made vectors and no model.
    /// </summary>
    public Matcher(string vectorSpaceId, ICatalogStore store, ICataloguePictures pictures, MatchSettings settings, SiftSearch? sift = null)
        : this(null, vectorSpaceId, store, pictures, settings, sift)
    {
    }

    private Matcher(ImageDescriber? describer, string vectorSpaceId, ICatalogStore store, ICataloguePictures pictures, MatchSettings settings, SiftSearch? sift = null)
    {
        Sift = sift;
        settings.Validate();
        _describer = describer;
        _vectorSpaceId = vectorSpaceId;
        _store = store;
        Settings = settings;
        _describe = new DescribeStage();
        _search = new SearchStage(store, settings.Shortlist);
        _verify = new VerifyStage(pictures, VerifyStage.Options.From(settings), GeometricScore.From(settings));
        _colour = new ColourStage();
        _judge = new JudgeStage(JudgeStage.Options.From(settings));
        _escalation = new Dictionary<string, IMatchStage>
        {
            ["regions"] = new RegionsStage(store, settings.Shortlist),
            ["turns"] = new TurnsStage(store, settings.Shortlist),
            ["keypoints"] = new KeypointsStage(store, KeypointsStage.Options.From(settings)),
        };
        if (sift is not null && settings.SiftBonus > 0)
            _escalation["sift"] = new SiftStage(sift, store, settings.SiftFloor);
        _speculative = SpeculationOrder(settings.Cascade.Escalation.Where(_escalation.ContainsKey).Select(name => _escalation[name]).OfType<ISpeculativeStage>().ToList());
    }

    public MatchSettings Settings { get; }

    /// <summary>
    /// The order a speculation computes the escalation's parts in: the first escalation step's first
    /// (needed soonest, by most escalating photos), then from the last step back. A stage whose part
    /// the speculation has not started computes it itself, so while the match thread works through
    /// the middle steps the speculation computes the last (the regions, the costliest), in parallel,
    /// instead of the two threads taking turns along one chain.
    /// </summary>
    internal static ISpeculativeStage[] SpeculationOrder(IReadOnlyList<ISpeculativeStage> escalation) =>
        escalation.Count == 0 ? [] : [escalation[0], .. escalation.Skip(1).Reverse()];

    /// <summary>What tells a match whether a core is idle for speculation (<see cref="CascadeSettings.Speculate"/>); the process's by default.</summary>
    public SpeculationGate Gate { get; init; } = SpeculationGate.Shared;

    /// <summary>The SIFT search the matcher runs as a stage; null when off.</summary>
    public SiftSearch? Sift { get; }

    /// <summary>The check a "possible" must pass before it is answered (<see cref="PossibleEvidence"/>); null: the score alone decides.</summary>
    public PossibleEvidence? Evidence { get; set; }

    /// <summary>The SIFT agreement a "possible" must have on one of the best candidates (<see cref="SiftEvidence"/>); null: none asked.</summary>
    public SiftEvidence? SiftEvidence { get; set; }

    public ImageDescriber Describer => _describer ?? throw new InvalidOperationException("This matcher was built without a describer: it matches described photos only.");

    public MatchResult Match(ReadOnlySpan<byte> photo, MatchRequest request, CancellationToken cancellation = default)
    {
        using var inFlight = Gate.EnterMatch();
        var clock = Stopwatch.StartNew();
        var image = Describer.Decode(photo, cancellation);
        var decoded = clock.Elapsed;
        cancellation.ThrowIfCancellationRequested();
        var result = Match(Describer.Query(image), request, clock, cancellation);
        return result with { Timings = result.Timings with { Decode = decoded } };
    }

    public MatchResult Match(RgbImage image, MatchRequest request, CancellationToken cancellation = default)
    {
        using var inFlight = Gate.EnterMatch();
        return Match(Describer.Query(image), request, Stopwatch.StartNew(), cancellation);
    }

    /// <summary>Matches a photo already described (or, in tests, hand-made).</summary>
    public MatchResult Match(IQueryPhoto photo, MatchRequest request, CancellationToken cancellation = default)
    {
        using var inFlight = Gate.EnterMatch();
        return Match(photo, request, Stopwatch.StartNew(), cancellation);
    }

    private MatchResult Match(IQueryPhoto photo, MatchRequest request, Stopwatch clock, CancellationToken cancellation)
    {
        if (request.TopK < 1)
            throw new ArgumentOutOfRangeException(nameof(request), "top_k must be at least 1.");
        var context = new MatchContext(photo, request, cancellation);
        var times = new StageClock();
        string answeredAfter;
        if (!Settings.Cascade.Full && Settings.Cascade.Speculate == SpeculationMode.Auto && _speculative.Length > 0)
            context.Speculation = new Speculation(context, _speculative, Gate);
        try
        {
            answeredAfter = Settings.Cascade.Full ? RunFull(context, times) : RunCascade(context, times, trace: null);
        }
        finally
        {
            // The answer is certain (or the match failed): what speculation has not computed yet is not needed.
            context.Speculation?.Stop();
        }
        var judgement = context.Judgement!;
        List<Candidate> top = [];
        times.Time("judge", () => top = judgement.Ranked.Take(request.TopK).Select(c => c with { Record = _store.Get(c.ObjectId) }).ToList());
        if (top.Count > 0 && SiftEvidence is { } sift && sift.Checks(top[0].Verdict))
            times.Time("evidence", () => top = BackedBySift(sift, context, judgement, top, request.TopK));
        if (top.Count > 0 && top[0].Verdict == Verdict.Possible && Evidence is { } evidence)
            times.Time("evidence", () => top[0] = evidence.Judge(photo.Image, top[0], cancellation));
        var verdict = top.Count > 0 ? top[0].Verdict : Verdict.NoMatch;
        return new MatchResult(top, verdict, top.Count > 0 ? top[0].Score : 0, _vectorSpaceId, clock.Elapsed.TotalMilliseconds)
        {
            Margin = judgement.Margin,
            Timings = new MatchTimings { StageTimes = times.ToList(), Speculation = context.Speculation?.Report() ?? SpeculationReport.None },
            AnsweredAfter = answeredAfter,
        };
    }

    /// <summary>
    /// The ranked candidates after the SIFT check of the best few, the caller's top k of them (<paramref name="top"/>,
    /// records read already) then further ones the check looks at; the photo's SIFT features reused when the SIFT stage made them.
    /// </summary>
    private List<Candidate> BackedBySift(SiftEvidence sift, MatchContext context, Judgement judgement, List<Candidate> top, int topK)
    {
        var features = context.SiftFeatures ??= sift.Describe(context.Photo.Image);
        var ranked = top.Concat(judgement.Ranked.Skip(top.Count).Take(Math.Max(0, sift.Settings.Candidates - top.Count))).ToList();
        return sift.Judge(features, ranked, context.Cancellation).Take(topK).Select(c => c.Record is null ? c with { Record = _store.Get(c.ObjectId) } : c).ToList();
    }

    /// <summary>Every stage once: all views searched, then the leaders verified and judged.</summary>
    private string RunFull(MatchContext context, StageClock times)
    {
        Run(context, times, _describe, _search);
        foreach (var name in CascadeSettings.EscalationStages.Where(_escalation.ContainsKey).OrderBy(FullOrder))
            Run(context, times, _escalation[name]);
        Run(context, times, _verify, _colour, _judge);
        return FullRun;
    }

    /// <summary>The order a full match searches the views in (the order before the cascade; the answer does not depend on it).</summary>
    private static int FullOrder(string stage) => stage switch { "regions" => 0, "turns" => 1, "keypoints" => 2, _ => 3 };

    /// <summary>
    /// The cheap pass, then one escalation step after another until the answer is certain. With a
    /// <paramref name="trace"/>, never stops: records the judgement after each step (calibration), and
    /// runs every escalation stage, so the last judgement is the full match's.
    /// </summary>
    private string RunCascade(MatchContext context, StageClock times, List<(string Step, Judgement Judgement)>? trace)
    {
        context.Speculation?.TryStart();
        Run(context, times, _describe, _search, _verify, _colour, _judge);
        string step = CheapPass;
        if (Record(step) && IsCertain(step, context.Judgement!))
            return step;
        var steps = trace is null ? Settings.Cascade.Escalation : [.. Settings.Cascade.Escalation, .. CascadeSettings.EscalationStages.Except(Settings.Cascade.Escalation)];
        foreach (var name in steps.Where(_escalation.ContainsKey))
        {
            Run(context, times, _escalation[name], _verify, _colour, _judge);
            step = name;
            if (Record(step) && IsCertain(step, context.Judgement!))
                return step;
        }
        return step;

        // True when the cascade may stop here (never while tracing).
        bool Record(string at)
        {
            trace?.Add((at, context.Judgement!));
            return trace is null;
        }
    }

    /// <summary>The calibrated stopping rules: a match with a clear lead, or nothing resembling the photo (or nothing lining up with it).</summary>
    private bool IsCertain(string step, Judgement judgement) => Settings.Cascade.IsCertain(step, judgement.Verdict, judgement.Margin, judgement.Best?.Score ?? 0, judgement.Geometry);

    private static void Run(MatchContext context, StageClock times, params IMatchStage[] stages)
    {
        foreach (var stage in stages)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            long start = Stopwatch.GetTimestamp();
            stage.Run(context);
            times.Add(stage.Name, Stopwatch.GetElapsedTime(start));
        }
    }

    /// <summary>
    /// Every step of the cascade for one photo, never stopping: the judgement after the cheap pass and
    /// after each escalation stage; the last is the full match's. What calibration chooses the stopping rules on.
    /// </summary>
    public IReadOnlyList<(string Step, Judgement Judgement)> Trace(IQueryPhoto photo, MatchRequest request)
    {
        var trace = new List<(string, Judgement)>();
        RunCascade(new MatchContext(photo, request), new StageClock(), trace);
        return trace;
    }
}
