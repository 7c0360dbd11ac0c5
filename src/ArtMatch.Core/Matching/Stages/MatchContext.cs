using ArtMatch.Core.Embedding;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>One step of matching a photo: reads and adds to the <see cref="MatchContext"/>. Stages hold no per-match state and are thread-safe.</summary>
public interface IMatchStage
{
    /// <summary>Lower case, as metrics and <c>eval --json</c> label the stage's time.</summary>
    string Name { get; }

    void Run(MatchContext context);
}

/// <summary>A leading candidate on its way through verification, the colour check and the judge.</summary>
public sealed class Leader(FusedHit fused)
{
    public FusedHit Fused { get; } = fused;

    public string ObjectId => Fused.Hit.ObjectId;

    /// <summary>The geometric check that counts (the best of the views tried); null when not verified.</summary>
    public Verification? Check { get; set; }

    /// <summary>The inliers of the CNN check (before keypoints replaced it for the colour check).</summary>
    public int Inliers { get; set; }

    /// <summary>The pixels <see cref="Check"/> worked in, for the colour check.</summary>
    public PictureFrame? QueryFrame { get; set; }

    /// <summary>The catalogue picture verified against.</summary>
    public CatalogueLocal? Picture { get; set; }

    /// <summary>How far the colours of the matched parts lie apart (<see cref="ColourCheck"/>); null when not judged.</summary>
    public float? ColourShift { get; set; }
}

/// <summary>The ranked answer of one pass of the judge.</summary>
public sealed record Judgement(IReadOnlyList<Candidate> Ranked, float Margin, Verdict Verdict)
{
    public Candidate? Best => Ranked.Count > 0 ? Ranked[0] : null;

    /// <summary>
    /// The strongest geometric agreement among the candidates: the largest bonus a geometric check (CNN
    /// cells, keypoints, SIFT) added to a plain cosine. 0 when no candidate's layout lines up with the
    /// photo beyond what chance gives (every check at or below its floor).
    /// </summary>
    public float Geometry => Ranked.Count == 0 ? 0 : Math.Max(0, Ranked.Max(c => c.Score - c.Similarity));
}

/// <summary>
/// Everything one match knows so far; the stages fill it in order, on the match's thread. A
/// <see cref="Stages.Speculation"/> reads only <see cref="Photo"/> and <see cref="Request"/> (both
/// safe to share) from its own thread.
/// </summary>
public sealed class MatchContext(IQueryPhoto photo, MatchRequest request, CancellationToken cancellation = default)
{
    public IQueryPhoto Photo { get; } = photo;

    public MatchRequest Request { get; } = request;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Every object the vector searches found, fused.</summary>
    public CandidatePool Pool { get; } = new(request.ExcludeObjectIds);

    /// <summary>Catalogue pictures whose keypoints line up with the photo's, by object (empty until the keypoint stage ran).</summary>
    public Dictionary<string, KeypointCandidate> KeypointHits { get; } = new(StringComparer.Ordinal);

    /// <summary>Catalogue pictures the SIFT search verified with more inliers than chance gives, by object (empty until the SIFT stage ran).</summary>
    public Dictionary<string, SiftCandidate> SiftHits { get; } = new(StringComparer.Ordinal);

    /// <summary>The photo's SIFT features, once the SIFT stage or the evidence check described it; null before.</summary>
    public FeatureSet? SiftFeatures { get; set; }

    /// <summary>SIFT inliers of an object (0 when the SIFT stage did not verify it).</summary>
    public int SiftInliers(string objectId) => SiftHits.TryGetValue(objectId, out var found) ? found.Inliers : 0;

    /// <summary>The best fused candidates, as verification left them.</summary>
    public List<Leader> Leaders { get; set; } = [];

    /// <summary>Geometric checks made so far, by catalogue picture and view of the photo: a leader verified in the cheap pass is not checked again after an escalation.</summary>
    public Dictionary<(string ImageId, HitSource View), Verification?> Checks { get; } = [];

    /// <summary>The judge's latest answer; null before the judge ran.</summary>
    public Judgement? Judgement { get; set; }

    /// <summary>The photo-only work being computed ahead of need for this match; null when none is (off, full run, calibration).</summary>
    public Speculation? Speculation { get; set; }

    /// <summary>
    /// A speculative stage's photo-only input: taken from <see cref="Speculation"/> when it computed it
    /// (waited for while it computes it), otherwise computed here.
    /// </summary>
    public T Prepared<T>(ISpeculativeStage stage) where T : class =>
        Speculation is { } speculation
            ? speculation.Take(stage.Name, () => (T)stage.Prepare(this, Cancellation))
            : (T)stage.Prepare(this, Cancellation);

    /// <summary>Objects fetched per view: the shortlist or the caller's top k, plus the objects left out.</summary>
    public int Fetch(int shortlist) => Math.Max(shortlist, Request.TopK) + (Request.ExcludeObjectIds?.Count ?? 0);
}
