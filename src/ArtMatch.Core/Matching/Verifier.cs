using System.Collections.Concurrent;
using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Matching;

/// <summary>
/// The answer to "is this the object on the reference picture?": the verdict, the score it was judged
/// on (the scale of Match's scores), and the evidence.
/// </summary>
public sealed record VerifyResult(VerifyVerdict Verdict, float Score, float Similarity, int Inliers, int KeypointInliers)
{
    /// <summary>The reference picture that agreed best (a catalogue image id, or the uploaded picture's sha256).</summary>
    public string ImageId { get; init; } = "";

    /// <summary>How far the colours of the lined-up parts lie apart; null when not judged.</summary>
    public float? ColourShift { get; init; }

    /// <summary>SIFT features agreeing on one homography (perspective included); 0 when not checked.</summary>
    public int SiftInliers { get; init; }

    /// <summary>Where in the photo (its decoded pixels) the reference lined up; null without a geometric agreement.</summary>
    public PixelRect? MatchedRegion { get; init; }

    /// <summary>Size of the decoded photo <see cref="MatchedRegion"/> is in.</summary>
    public int PhotoWidth { get; init; }

    public int PhotoHeight { get; init; }
}

/// <summary>A photo described once, to be verified against several references.</summary>
public sealed record DescribedPhoto(RgbImage Image, ImageDescription Description)
{
    /// <summary>The photo's SIFT features, when the verifier has a feature engine.</summary>
    public FeatureSet? Sift { get; init; }
}

/// <summary>
/// 1:1 verification: a photo against one reference picture (a certificate's photo) or against a
/// catalogued object's pictures, with Match's description and checks: global and regional vectors
/// (plain cosine), the CNN cells' geometric check (whole photo, the region or quarter turn that
/// agreed best), keypoints matched picture to picture and checked for one transform, and the colour
/// check; and, with a feature engine, SIFT pairs checked for one homography, the evidence that
/// tells a near-miss look-alike from the object itself. The score is Match's (cosine plus
/// <see cref="GeometricScore"/>) plus <see cref="VerifySettings.SiftBonus"/> for SIFT
/// agreement; the verdict comes from <see cref="VerifyThresholds"/>, at most "uncertain" when
/// colours disagree. Thread-safe.
/// </summary>
public sealed partial class Verifier(Matcher matcher, ICatalogStore? store, ILocalFeatureEngine? features = null)
{
    private readonly ConcurrentDictionary<string, Lazy<ReferencePicture?>> _cache = new();

    /// <summary>Catalogue pictures whose descriptions stay in memory (about 0.8 MB each with their keypoints, by the array sizes).</summary>
    public int CacheCapacity { get; init; } = 512;

    private static readonly KeypointMatchSettings PairSettings = new();

    private MatchSettings Settings => matcher.Settings;

    private VerifySettings Verification => matcher.Settings.Verification;

    private ImageDescriber Describer => matcher.Describer;

    public DescribedPhoto Describe(ReadOnlySpan<byte> photo, CancellationToken cancellation = default) => Describe(Describer.Decode(photo, cancellation));

    /// <summary>
    /// The photo described as Match describes it, with its keypoints found as densely as a catalogue
    /// picture's: one pair is matched exhaustively, so a photo's many keypoints cost milliseconds here,
    /// and an object small in the photo keeps enough of them.
    /// </summary>
    public DescribedPhoto Describe(RgbImage image)
    {
        var description = Describer.Describe(image, includeRegions: true);
        if (description.Keypoints is not null && Describer.KeypointsOf(image, forCatalogue: true) is { } dense)
            description = WithKeypoints(description, dense);
        return new(image, description) { Sift = SiftOf(image) };
    }

    private static ImageDescription WithKeypoints(ImageDescription d, KeypointSet keypoints) => new()
    {
        Global = d.Global, Regions = d.Regions, Local = d.Local, Turns = d.Turns, RegionLocal = d.RegionLocal, Keypoints = keypoints, Width = d.Width, Height = d.Height,
    };

    /// <summary>The photo against one uploaded reference picture.</summary>
    public VerifyResult VerifyAgainst(DescribedPhoto photo, ReadOnlySpan<byte> reference, CancellationToken cancellation = default)
    {
        var picture = Describer.Decode(reference, cancellation);
        cancellation.ThrowIfCancellationRequested();
        return Verify(photo, DescribeReference(Hashing.Sha256Hex(reference), picture));
    }

    /// <summary>The photo against every picture of a catalogued object; the best-agreeing picture counts.</summary>
    /// <exception cref="ObjectNotFoundException">No such object, or it has no picture.</exception>
    public VerifyResult VerifyObject(DescribedPhoto photo, string objectId, CancellationToken cancellation = default)
    {
        var catalogue = store ?? throw new InvalidOperationException("Verifying against a catalogued object needs a store.");
        var images = catalogue.GetImages(objectId);
        if (images.Count == 0)
            throw new ObjectNotFoundException(objectId, catalogue.Get(objectId) is null ? null : $"Object '{objectId}' has no picture to verify against.");
        VerifyResult? best = null;
        foreach (var image in images)
        {
            cancellation.ThrowIfCancellationRequested();
            if (CataloguePicture(image.ImageId) is not { } reference)
                continue;
            var result = Verify(photo, reference);
            if (best is null || result.Score > best.Score)
                best = result;
        }
        return best ?? throw new ObjectNotFoundException(objectId, $"Object '{objectId}' has no readable picture to verify against.");
    }

    private VerifyResult Verify(DescribedPhoto photo, ReferencePicture reference)
    {
        var query = photo.Description;
        var (similarity, source) = BestSimilarity(query, reference);
        var (check, frame) = GeometricCheck(photo, reference, source);
        int inliers = check.Inliers;
        var pixelLevel = KeypointCheck(query, reference);
        int keypointInliers = pixelLevel?.Inliers ?? 0;
        if (pixelLevel is not null && reference.Local is not null && pixelLevel.Inliers > check.Inliers)
        {
            check = VerifyStage.AsVerification(pixelLevel, new CatalogueLocal(reference.Local, reference.Width, reference.Height, reference.Thumbnail));
            frame = new PictureFrame(photo.Image);
        }
        float? colourShift = reference.Local is null ? null : ColourCheck.Shift(frame,
            new PictureFrame(reference.Thumbnail, (double)reference.Thumbnail.Width / reference.Width), reference.Local, reference.Width, reference.Height, check);
        int siftInliers = SiftCheck(photo, reference);
        float score = similarity + GeometricScore.From(Settings).Bonus(inliers, keypointInliers)
            + Verification.SiftBonus * GeometricScore.Agreement(siftInliers, Verification.SiftFloor, Verification.SiftCap);
        var verdict = Verification.Thresholds.Judge(score);
        if (verdict == VerifyVerdict.Same && colourShift > Settings.MaxColourShift)
            verdict = VerifyVerdict.Uncertain;
        return new VerifyResult(verdict, score, similarity, inliers, keypointInliers)
        {
            ImageId = reference.ImageId,
            ColourShift = colourShift,
            SiftInliers = siftInliers,
            MatchedRegion = check.Transform is { } transform ? MatchedRegion(transform, frame, photo, reference) : null,
            PhotoWidth = photo.Image.Width,
            PhotoHeight = photo.Image.Height,
        };
    }

    /// <summary>
    /// The best plain cosine between the photo's vectors and the reference's, as Match pairs them:
    /// the whole photo (upright or turned) with the whole reference and its regions, the photo's
    /// regions with the whole reference. Source as in <see cref="Matcher"/>: 0 whole, 1..R a region, then the turns.
    /// </summary>
    private static (float Similarity, int Source) BestSimilarity(ImageDescription query, ReferencePicture reference)
    {
        float best = float.MinValue;
        int source = 0;
        void Consider(float value, int from)
        {
            if (value > best)
                (best, source) = (value, from);
        }
        foreach (var vector in reference.Vectors)
            Consider(TensorPrimitives.Dot(query.Global, vector), 0);
        for (int r = 0; r < query.Regions.Count; r++)
            Consider(TensorPrimitives.Dot(query.Regions[r], reference.Vectors[0]), r + 1);
        for (int t = 0; t < query.Turns.Count; t++)
        {
            foreach (var vector in reference.Vectors)
                Consider(TensorPrimitives.Dot(query.Turns[t].Global, vector), query.Regions.Count + 1 + t);
        }
        return (best, source);
    }

    /// <summary>Match's CNN check: the whole photo, and the region or turned photo that gave the similarity when that agrees better.</summary>
    private (Verification Check, PictureFrame Frame) GeometricCheck(DescribedPhoto photo, ReferencePicture reference, int source)
    {
        var query = photo.Description;
        if (query.Local is null || reference.Local is not { } local)
            return (default, new PictureFrame(photo.Image));
        var check = SpatialVerifier.Verify(query.Local, query.Width, query.Height, local, reference.Width, reference.Height, Settings.LocalMinSimilarity);
        var frame = new PictureFrame(photo.Image);
        if (source > 0 && source <= query.Regions.Count && Settings.VerifyQueryRegion && query.RegionLocal is not null)
        {
            var (features, area) = query.RegionLocal(source - 1);
            var closer = SpatialVerifier.Verify(features, area.Width, area.Height, local, reference.Width, reference.Height, Settings.LocalMinSimilarity);
            if (closer.Inliers > check.Inliers)
                (check, frame) = (closer, new PictureFrame(photo.Image, 1, area.X, area.Y));
        }
        if (source > query.Regions.Count && query.Turns[source - 1 - query.Regions.Count] is { Local: { } turnedLocal } turn)
        {
            var turned = SpatialVerifier.Verify(turnedLocal, turn.Picture.Width, turn.Picture.Height, local, reference.Width, reference.Height, Settings.LocalMinSimilarity);
            if (turned.Inliers > check.Inliers)
                (check, frame) = (turned, new PictureFrame(turn.Picture));
        }
        return (check, frame);
    }

    /// <summary>The photo's keypoints matched against the reference picture's alone, checked for one transform.</summary>
    private KeypointCandidate? KeypointCheck(ImageDescription query, ReferencePicture reference)
    {
        if (query.Keypoints is not { Count: > 0 } keypoints || reference.Keypoints is null || Settings.KeypointBonus <= 0)
            return null;
        return KeypointIndex.MatchPair(keypoints, reference.Keypoints, Settings.KeypointFloor + 1, PairSettings, reference.ImageId);
    }

    private FeatureSet? SiftOf(RgbImage image) =>
        features is not null && Verification.SiftFeatures > 0 ? features.Detect(GreyImage.FromRgb(image), Verification.SiftFeatures) : null;

    /// <summary>SIFT pairs between photo and reference (ratio test) that agree on one homography (USAC/MAGSAC).</summary>
    private int SiftCheck(DescribedPhoto photo, ReferencePicture reference)
    {
        if (features is null || photo.Sift is not { Count: > 0 } query || reference.Sift is not { Count: > 0 } candidate)
            return 0;
        var pairs = features.Match(query, candidate, Verification.SiftRatio);
        if (pairs.Count < 4)
            return 0;
        var fit = features.FitHomography(pairs.Select(m => (
            new PointF(query.Points[m.Query].X, query.Points[m.Query].Y), new PointF(candidate.Points[m.Candidate].X, candidate.Points[m.Candidate].Y))).ToList(),
            Verification.ReprojectionPixels);
        return fit?.Inliers.Length ?? 0;
    }

    private ReferencePicture? CataloguePicture(string imageId)
    {
        if (_cache.Count > CacheCapacity)
            _cache.Clear();
        return _cache.GetOrAdd(imageId, id => new Lazy<ReferencePicture?>(() =>
            store!.GetImageBytes(id) is { } bytes ? DescribeReference(id, Describer.Decode(bytes)) : null)).Value;
    }
}
