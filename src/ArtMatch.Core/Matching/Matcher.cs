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
}

public sealed record MatchResult(IReadOnlyList<Candidate> Candidates, Verdict Verdict, float BestScore, string ModelId, double Milliseconds)
{
    /// <summary>How far the best candidate leads the runner-up.</summary>
    public float Margin { get; init; }

    public Candidate? Best => Candidates.Count > 0 ? Candidates[0] : null;

    /// <summary>Time per pipeline stage.</summary>
    public MatchTimings Timings { get; init; } = MatchTimings.None;
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
/// (<see cref="IMatchStage"/>): describe the whole photo, search the store with its vector, search
/// with its regions and its quarter turns (keeping every object's best score, <see cref="CandidatePool"/>),
/// search the catalogue's keypoints, verify the leaders geometrically against the catalogue picture
/// that matched, compare their colours, and judge (on the plain cosine plus geometric agreement, the
/// scale the thresholds know). Thread-safe.
/// </summary>
public sealed class Matcher
{
    private readonly ImageDescriber? _describer;
    private readonly string _vectorSpaceId;
    private readonly ICatalogStore _store;
    private readonly IMatchStage[] _stages;

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
        _describer = describer;
        _vectorSpaceId = vectorSpaceId;
        _store = store;
        Settings = settings;
        var geometry = GeometricScore.From(settings);
        _stages =
        [
            new DescribeStage(),
            new SearchStage(store, settings.Shortlist),
            new RegionsStage(store, settings.Shortlist),
            new TurnsStage(store, settings.Shortlist),
            new KeypointsStage(store, KeypointsStage.Options.From(settings)),
            .. sift is not null && settings.SiftBonus > 0 ? [new SiftStage(sift, store, settings.SiftFloor)] : Array.Empty<IMatchStage>(),
            new VerifyStage(pictures, VerifyStage.Options.From(settings), geometry),
            new ColourStage(),
            new JudgeStage(JudgeStage.Options.From(settings)),
        ];
    }

    public MatchSettings Settings { get; }

    /// <summary>The SIFT search the matcher runs as a stage; null when off.</summary>
    public SiftSearch? Sift { get; }

    public ImageDescriber Describer => _describer ?? throw new InvalidOperationException("This matcher was built without a describer: it matches described photos only.");

    public MatchResult Match(ReadOnlySpan<byte> photo, MatchRequest request, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var image = Describer.Decode(photo, cancellation);
        var decoded = clock.Elapsed;
        cancellation.ThrowIfCancellationRequested();
        var result = Match(Describer.Query(image), request, clock, cancellation);
        return result with { Timings = result.Timings with { Decode = decoded } };
    }

    public MatchResult Match(RgbImage image, MatchRequest request, CancellationToken cancellation = default) =>
        Match(Describer.Query(image), request, Stopwatch.StartNew(), cancellation);

    /// <summary>Matches a photo already described (or, in tests, hand-made).</summary>
    public MatchResult Match(IQueryPhoto photo, MatchRequest request, CancellationToken cancellation = default) =>
        Match(photo, request, Stopwatch.StartNew(), cancellation);

    private MatchResult Match(IQueryPhoto photo, MatchRequest request, Stopwatch clock, CancellationToken cancellation)
    {
        if (request.TopK < 1)
            throw new ArgumentOutOfRangeException(nameof(request), "top_k must be at least 1.");
        var context = new MatchContext(photo, request, cancellation);
        var times = new StageClock();
        foreach (var stage in _stages)
        {
            cancellation.ThrowIfCancellationRequested();
            times.Time(stage.Name, () => stage.Run(context));
        }
        var judgement = context.Judgement!;
        List<Candidate> top = [];
        times.Time("judge", () => top = judgement.Ranked.Take(request.TopK).Select(c => c with { Record = _store.Get(c.ObjectId) }).ToList());
        var verdict = top.Count > 0 ? top[0].Verdict : Verdict.NoMatch;
        return new MatchResult(top, verdict, top.Count > 0 ? top[0].Score : 0, _vectorSpaceId, clock.Elapsed.TotalMilliseconds)
        {
            Margin = judgement.Margin,
            Timings = new MatchTimings { StageTimes = times.ToList() },
        };
    }
}
