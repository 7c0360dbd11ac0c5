using System.Collections.Concurrent;
using System.Diagnostics;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

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
/// The matching pipeline shared by the server, the CLI and evaluation: describe the photo (global
/// vector, crops, quarter turns, keypoints), search the store with each vector and keep every
/// object's best score, search the catalogue's keypoints, re-check the leaders geometrically against
/// the catalogue image that matched, rank (by the whitened similarity when the store whitens), and
/// judge (on the plain cosine plus geometric agreement, the scale the thresholds know). Thread-safe.
/// </summary>
public sealed class Matcher(ImageDescriber describer, ICatalogStore store, MatchSettings settings)
{
    private readonly ConcurrentDictionary<string, Lazy<CatalogueLocal?>> _localCache = new();

    /// <summary>Catalogue pictures whose local features (about 350 KB each for MobileNetV2) and colour thumbnail (about 60 KB) stay in memory.</summary>
    public int LocalCacheCapacity { get; init; } = 2048;

    public MatchSettings Settings { get; } = settings;

    public ImageDescriber Describer => describer;

    public MatchResult Match(ReadOnlySpan<byte> photo, MatchRequest request, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var image = describer.Decode(photo, cancellation);
        var decoded = clock.Elapsed;
        cancellation.ThrowIfCancellationRequested();
        var result = Match(image, request, clock, cancellation);
        return result with { Timings = result.Timings with { Decode = decoded } };
    }

    public MatchResult Match(RgbImage image, MatchRequest request, CancellationToken cancellation = default) =>
        Match(image, request, Stopwatch.StartNew(), cancellation);

    private MatchResult Match(RgbImage image, MatchRequest request, Stopwatch clock, CancellationToken cancellation)
    {
        if (request.TopK < 1)
            throw new ArgumentOutOfRangeException(nameof(request), "top_k must be at least 1.");
        var lap = new StageLap();
        var query = describer.Describe(image, includeRegions: true);
        var describeTime = lap.Next();
        cancellation.ThrowIfCancellationRequested();

        // Per object: its best-ranked hit; the query vector that found it (Source 0: the whole photo,
        // 1..R: region Source - 1, R+1..R+3: the photo turned by 1..3 quarter turns); and its best plain
        // cosine over all query vectors (with whitening, another vector may give it).
        var fused = new Dictionary<string, (VectorHit Hit, int Source, float Plain)>(StringComparer.Ordinal);
        int fetch = Math.Max(Settings.Shortlist, request.TopK) + (request.ExcludeObjectIds?.Count ?? 0);
        // The whole photo, upright and turned, is compared with every catalogue vector (whole pictures
        // and their regions: a detail or partial view), in one pass; the photo's regions only with
        // whole catalogue pictures (an object small in a scene). Region-to-region pairs would mostly
        // add chance look-alikes.
        var wholes = store.SearchMany([query.Global, .. query.Turns.Select(t => t.Global)], fetch, request.Filter);
        var hitLists = new List<IReadOnlyList<VectorHit>> { wholes[0] };
        hitLists.AddRange(store.SearchMany(query.Regions, fetch, request.Filter with { WholeImagesOnly = true }));
        hitLists.AddRange(wholes.Skip(1));
        for (int source = 0; source < hitLists.Count; source++)
        {
            foreach (var hit in hitLists[source])
            {
                if (request.ExcludeObjectIds?.Contains(hit.ObjectId) == true)
                    continue;
                if (!fused.TryGetValue(hit.ObjectId, out var best))
                    fused[hit.ObjectId] = (hit, source, hit.Score);
                else if (hit.RankScore > best.Hit.RankScore)
                    fused[hit.ObjectId] = (hit, source, Math.Max(best.Plain, hit.Score));
                else if (hit.Score > best.Plain)
                    fused[hit.ObjectId] = best with { Plain = hit.Score };
            }
        }

        var vectorSearchTime = lap.Next();
        cancellation.ThrowIfCancellationRequested();

        // Pixel-level evidence: catalogue pictures whose keypoints line up with the photo's. It finds what
        // the CNN's 32-pixel cells cannot see (a close-up of a detail) and counts where the CNN check
        // falls short (GeometricBonus); an object only it found joins with its vector scores.
        var keypointHits = new Dictionary<string, KeypointCandidate>(StringComparer.Ordinal);
        if (query.Keypoints is { Count: > 0 } keypoints && Settings.KeypointBonus > 0)
        {
            foreach (var found in store.SearchKeypoints(keypoints, Settings.KeypointFloor + 1, Settings.VerifyTop, request.Filter, request.ExcludeObjectIds))
                keypointHits.TryAdd(found.ObjectId, found);
            var unseen = keypointHits.Keys.Where(id => !fused.ContainsKey(id)).ToList();
            if (unseen.Count > 0)
            {
                foreach (var hit in store.ScoreObjects(query.Global, unseen))
                    fused[hit.ObjectId] = (hit, 0, hit.Score);
            }
        }
        // Before verification the CNN agreement is unknown: the keypoints' full share orders the shortlist.
        float KeypointBonusOf(string objectId) => keypointHits.TryGetValue(objectId, out var found) ? GeometricBonus(0, found.Inliers) : 0;

        var keypointTime = lap.Next();

        var ranked = fused.Values.OrderByDescending(h => h.Hit.RankScore + KeypointBonusOf(h.Hit.ObjectId)).ThenBy(h => h.Hit.ObjectId, StringComparer.Ordinal)
            .Take(Math.Max(request.TopK, Settings.VerifyTop)).ToList();
        cancellation.ThrowIfCancellationRequested();

        var regionLocals = new Dictionary<int, (LocalFeatures Features, PixelRect Area)>();
        var candidates = new List<Candidate>(ranked.Count);
        for (int i = 0; i < ranked.Count; i++)
        {
            var (hit, source, plain) = ranked[i];
            int inliers = 0;
            float? colourShift = null;
            if (i < Settings.VerifyTop && query.Local is not null && CatalogueLocalFeatures(hit.ImageId) is { } local)
            {
                var check = SpatialVerifier.Verify(query.Local, query.Width, query.Height, local.Features, local.Width, local.Height, Settings.LocalMinSimilarity);
                var queryFrame = new PictureFrame(image);
                // Found through a region of the photo (an object small in a scene): the whole photo has
                // too few cells on the object, so check that region, closer up, as well.
                if (source > 0 && source <= query.Regions.Count && Settings.VerifyQueryRegion && query.RegionLocal is not null)
                {
                    if (!regionLocals.TryGetValue(source, out var closeUp))
                        regionLocals[source] = closeUp = query.RegionLocal(source - 1);
                    var (features, area) = closeUp;
                    if (SpatialVerifier.Verify(features, area.Width, area.Height, local.Features, local.Width, local.Height, Settings.LocalMinSimilarity) is var closer
                        && closer.Inliers > check.Inliers)
                    {
                        check = closer;
                        queryFrame = new PictureFrame(image, 1, area.X, area.Y);
                    }
                }
                // Found through the photo turned (taken sideways): check the turned photo as well.
                if (source > query.Regions.Count && query.Turns[source - 1 - query.Regions.Count] is { Local: { } turnedLocal } turn
                    && SpatialVerifier.Verify(turnedLocal, turn.Picture.Width, turn.Picture.Height, local.Features, local.Width, local.Height, Settings.LocalMinSimilarity) is var turned
                    && turned.Inliers > check.Inliers)
                {
                    check = turned;
                    queryFrame = new PictureFrame(turn.Picture);
                }
                inliers = check.Inliers;
                // Keypoints that lined up more parts than the CNN cells did say better where to compare colours.
                if (keypointHits.TryGetValue(hit.ObjectId, out var pixelLevel) && pixelLevel.Inliers > check.Inliers && pixelLevel.ImageId == hit.ImageId)
                {
                    check = AsVerification(pixelLevel, local);
                    queryFrame = new PictureFrame(image);
                }
                var candidateFrame = new PictureFrame(local.Thumbnail, (double)local.Thumbnail.Width / local.Width);
                colourShift = ColourCheck.Shift(queryFrame, candidateFrame, local.Features, local.Width, local.Height, check);
            }
            int keypointInliers = keypointHits.TryGetValue(hit.ObjectId, out var keypointHit) ? keypointHit.Inliers : 0;
            float bonus = GeometricBonus(inliers, keypointInliers);
            float score = plain + bonus;
            candidates.Add(new Candidate(hit.ObjectId, hit.ImageId, score, plain, inliers, Judge(score, colourShift))
            {
                ColourShift = colourShift,
                RankScore = hit.RankScore + bonus,
                KeypointInliers = keypointInliers,
            });
        }

        var verificationTime = lap.Next();

        var sorted = candidates.OrderByDescending(c => c.RankScore).ThenBy(c => c.ObjectId, StringComparer.Ordinal).ToList();
        // The lead over the strongest other candidate on the calibrated scale; when the whitened ranking
        // put first an object whose plain score trails another's, the lead is negative: no "match".
        float margin = sorted.Count switch { 0 => 0, 1 => sorted[0].Score, _ => sorted[0].Score - sorted.Skip(1).Max(c => c.Score) };
        if (sorted.Count > 0)
            sorted[0] = sorted[0] with { Verdict = Judge(sorted[0].Score, sorted[0].ColourShift, margin) };
        var top = sorted.Take(request.TopK).Select(c => c with { Record = store.Get(c.ObjectId) }).ToList();
        var verdict = top.Count > 0 ? top[0].Verdict : Verdict.NoMatch;
        var timings = new MatchTimings
        {
            Describe = describeTime, VectorSearch = vectorSearchTime, Keypoints = keypointTime, Verification = verificationTime, Verdict = lap.Next(),
        };
        return new MatchResult(top, verdict, top.Count > 0 ? top[0].Score : 0, describer.VectorSpaceId, clock.Elapsed.TotalMilliseconds) { Margin = margin, Timings = timings };
    }

    /// <summary>
    /// The verdict from the score (and the lead, for the best candidate), at most "possible" when the
    /// matched parts differ in colour: same design, other material or paint, for an officer to judge.
    /// </summary>
    private Verdict Judge(float score, float? colourShift, float? margin = null)
    {
        var verdict = margin is { } lead ? Settings.Thresholds.Judge(score, lead) : Settings.Thresholds.Judge(score);
        return verdict == Verdict.Match && colourShift > Settings.MaxColourShift ? Verdict.Possible : verdict;
    }

    /// <summary>
    /// The score added for geometric agreement, measured twice: CNN cells (<paramref name="inliers"/>)
    /// and keypoints. Both tell that the layout is the same, so they do not add up: the keypoints count
    /// for the share of agreement the CNN check could not show. A whole-object photo the CNN verified
    /// gets the CNN's bonus; a close-up the CNN cells cannot resolve gets the keypoints' larger one.
    /// </summary>
    private float GeometricBonus(int inliers, int keypointInliers)
    {
        float cnn = Agreement(inliers, Settings.InlierFloor, Settings.InlierCap);
        float keypoints = Agreement(keypointInliers, Settings.KeypointFloor, Settings.KeypointCap);
        return Settings.InlierBonus * cnn + Settings.KeypointBonus * keypoints * (1 - cnn);
    }

    /// <summary>0 at <paramref name="floor"/> inliers (what chance gives), growing linearly to 1 at <paramref name="cap"/>.</summary>
    private static float Agreement(int inliers, int floor, int cap) =>
        cap <= floor ? 0 : Math.Clamp((float)(inliers - floor) / (cap - floor), 0, 1);

    /// <summary>Keypoint inliers in the terms the colour check reads: the catalogue cells they fall in and the transform.</summary>
    private static Verification AsVerification(KeypointCandidate found, CatalogueLocal local)
    {
        var grid = local.Features;
        var cells = found.CatalogueInliers
            .Select(p => Math.Clamp((int)(p.Y / local.Height * grid.GridHeight), 0, grid.GridHeight - 1) * grid.GridWidth
                       + Math.Clamp((int)(p.X / local.Width * grid.GridWidth), 0, grid.GridWidth - 1))
            .Distinct().Select(cell => (Query: -1, Candidate: cell)).ToList();
        return new Verification(found.Matches, found.Inliers, (float)(found.Transform?.Scale ?? 1)) { InlierPairs = cells, Transform = found.Transform };
    }

    /// <summary>What verification needs of a catalogue picture: local features, its size, and a small copy for the colour check.</summary>
    private sealed record CatalogueLocal(LocalFeatures Features, int Width, int Height, RgbImage Thumbnail);

    /// <summary>Long side of the catalogue copy the colour check reads (colours need few pixels).</summary>
    private const int ThumbnailLongSide = 160;

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
            if (describer.LocalFeaturesOf(picture) is not { } features)
                return null;
            double shrink = Math.Min(1.0, (double)ThumbnailLongSide / Math.Max(picture.Width, picture.Height));
            var thumbnail = ImageOps.Resize(picture, Math.Max(1, (int)Math.Round(picture.Width * shrink)), Math.Max(1, (int)Math.Round(picture.Height * shrink)));
            return new CatalogueLocal(features, picture.Width, picture.Height, thumbnail);
        })).Value;
    }
}
