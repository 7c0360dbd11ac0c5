using System.Collections.Concurrent;
using System.Diagnostics;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching;

/// <summary>One catalogue object offered as the answer, with the evidence behind its score.</summary>
public sealed record Candidate(string ObjectId, string ImageId, float Score, float Similarity, int Inliers, Verdict Verdict)
{
    public CulturalObject? Record { get; init; }
}

public sealed record MatchResult(IReadOnlyList<Candidate> Candidates, Verdict Verdict, float BestScore, string ModelId, double Milliseconds)
{
    /// <summary>How far the best candidate leads the runner-up.</summary>
    public float Margin { get; init; }

    public Candidate? Best => Candidates.Count > 0 ? Candidates[0] : null;
}

public sealed record MatchRequest
{
    public int TopK { get; init; } = 5;
    public SearchFilter Filter { get; init; } = SearchFilter.None;

    /// <summary>Objects never to return (leave-one-out calibration).</summary>
    public IReadOnlySet<string>? ExcludeObjectIds { get; init; }
}

/// <summary>
/// The matching pipeline shared by the server, the CLI and evaluation: describe the photo (global
/// vector plus crops), search the store with each vector and keep every object's best score, re-check
/// the leaders geometrically against the catalogue image that matched, rank, and judge.
/// Thread-safe.
/// </summary>
public sealed class Matcher(ImageDescriber describer, ICatalogStore store, MatchSettings settings)
{
    private readonly ConcurrentDictionary<string, Lazy<CatalogueLocal?>> _localCache = new();

    /// <summary>Catalogue pictures whose local features stay in memory (about 350 KB each for MobileNetV2).</summary>
    public int LocalCacheCapacity { get; init; } = 2048;

    public MatchSettings Settings { get; } = settings;

    public ImageDescriber Describer => describer;

    public MatchResult Match(ReadOnlySpan<byte> photo, MatchRequest request, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var image = describer.Decode(photo);
        return Match(image, request, clock, cancellation);
    }

    public MatchResult Match(RgbImage image, MatchRequest request, CancellationToken cancellation = default) =>
        Match(image, request, Stopwatch.StartNew(), cancellation);

    private MatchResult Match(RgbImage image, MatchRequest request, Stopwatch clock, CancellationToken cancellation)
    {
        if (request.TopK < 1)
            throw new ArgumentOutOfRangeException(nameof(request), "top_k must be at least 1.");
        var query = describer.Describe(image, includeRegions: true);
        cancellation.ThrowIfCancellationRequested();

        var fused = new Dictionary<string, VectorHit>(StringComparer.Ordinal);
        int fetch = Math.Max(Settings.Shortlist, request.TopK) + (request.ExcludeObjectIds?.Count ?? 0);
        // The whole photo is compared with every catalogue vector (whole pictures and their regions:
        // a detail or partial view); the photo's regions only with whole catalogue pictures (an object
        // small in a scene). Region-to-region pairs would mostly add chance look-alikes.
        var searches = new List<(float[] Vector, SearchFilter Filter)> { (query.Global, request.Filter) };
        var wholeOnly = request.Filter with { WholeImagesOnly = true };
        searches.AddRange(query.Regions.Select(r => (r, wholeOnly)));
        foreach (var (vector, filter) in searches)
        {
            foreach (var hit in store.Search(vector, fetch, filter))
            {
                if (request.ExcludeObjectIds?.Contains(hit.ObjectId) == true)
                    continue;
                if (!fused.TryGetValue(hit.ObjectId, out var best) || hit.Score > best.Score)
                    fused[hit.ObjectId] = hit;
            }
        }

        var ranked = fused.Values.OrderByDescending(h => h.Score).ThenBy(h => h.ObjectId, StringComparer.Ordinal)
            .Take(Math.Max(request.TopK, Settings.VerifyTop)).ToList();
        cancellation.ThrowIfCancellationRequested();

        var candidates = new List<Candidate>(ranked.Count);
        for (int i = 0; i < ranked.Count; i++)
        {
            var hit = ranked[i];
            int inliers = 0;
            if (i < Settings.VerifyTop && query.Local is not null && CatalogueLocalFeatures(hit.ImageId) is { } local)
                inliers = SpatialVerifier.Verify(query.Local, query.Width, query.Height, local.Features, local.Width, local.Height, Settings.LocalMinSimilarity).Inliers;
            float score = hit.Score + Bonus(inliers);
            candidates.Add(new Candidate(hit.ObjectId, hit.ImageId, score, hit.Score, inliers, Settings.Thresholds.Judge(score)));
        }

        var sorted = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.ObjectId, StringComparer.Ordinal).ToList();
        float margin = sorted.Count switch { 0 => 0, 1 => sorted[0].Score, _ => sorted[0].Score - sorted[1].Score };
        if (sorted.Count > 0)
            sorted[0] = sorted[0] with { Verdict = Settings.Thresholds.Judge(sorted[0].Score, margin) };
        var top = sorted.Take(request.TopK).Select(c => c with { Record = store.Get(c.ObjectId) }).ToList();
        var verdict = top.Count > 0 ? top[0].Verdict : Verdict.NoMatch;
        return new MatchResult(top, verdict, top.Count > 0 ? top[0].Score : 0, describer.VectorSpaceId, clock.Elapsed.TotalMilliseconds) { Margin = margin };
    }

    private float Bonus(int inliers)
    {
        if (Settings.InlierCap <= Settings.InlierFloor)
            return 0;
        float agreement = Math.Clamp((float)(inliers - Settings.InlierFloor) / (Settings.InlierCap - Settings.InlierFloor), 0, 1);
        return Settings.InlierBonus * agreement;
    }

    private sealed record CatalogueLocal(LocalFeatures Features, int Width, int Height);

    private CatalogueLocal? CatalogueLocalFeatures(string imageId)
    {
        if (_localCache.Count > LocalCacheCapacity)
            _localCache.Clear();
        return _localCache.GetOrAdd(imageId, id => new Lazy<CatalogueLocal?>(() =>
        {
            var bytes = store.GetImageBytes(id);
            if (bytes is null)
                return null;
            var picture = describer.Decode(bytes);
            return describer.LocalFeaturesOf(picture) is { } features ? new CatalogueLocal(features, picture.Width, picture.Height) : null;
        })).Value;
    }
}
