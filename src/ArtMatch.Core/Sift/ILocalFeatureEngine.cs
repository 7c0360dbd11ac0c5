using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Sift;

/// <summary>
/// Scale- and rotation-invariant local features (SIFT with RootSIFT descriptors) and robust geometry:
/// the boundary to a native engine (ArtMatch.Features, on OpenCV), small enough to fake in tests.
/// Thread-safe.
/// </summary>
public interface ILocalFeatureEngine
{
    /// <summary>Detects and describes at most <paramref name="maxFeatures"/> features (the strongest) of a grey picture.</summary>
    FeatureSet Detect(GreyImage image, int maxFeatures);

    /// <summary>
    /// Pairs each feature of <paramref name="query"/> with its nearest neighbour in <paramref name="candidate"/>
    /// when it passes Lowe's ratio test (<paramref name="ratio"/>: the nearest is that much closer than the
    /// second), one pair per candidate feature.
    /// </summary>
    IReadOnlyList<FeatureMatch> Match(FeatureSet query, FeatureSet candidate, float ratio);

    /// <summary>
    /// The homography (query to candidate pixels) most pairs agree on, by USAC/MAGSAC, and which pairs
    /// agree within <paramref name="reprojectionPixels"/>; null when fewer than four pairs or no model.
    /// </summary>
    GeometryFit? FitHomography(IReadOnlyList<(PointF Query, PointF Candidate)> pairs, double reprojectionPixels);

    /// <summary>
    /// The pairs one affine map (query to candidate pixels, RANSAC) agrees with within
    /// <paramref name="reprojectionPixels"/>; null when fewer than three pairs or no model.
    /// </summary>
    int[]? FitAffine(IReadOnlyList<(PointF Query, PointF Candidate)> pairs, double reprojectionPixels) =>
        throw new NotSupportedException("This engine fits homographies only.");

    /// <summary>
    /// The pairs one fundamental matrix (RANSAC; two views of one 3-D scene) agrees with, each within
    /// <paramref name="epipolarPixels"/> of its epipolar line; null when fewer than eight pairs or no model.
    /// </summary>
    int[]? FitFundamental(IReadOnlyList<(PointF Query, PointF Candidate)> pairs, double epipolarPixels) =>
        throw new NotSupportedException("This engine fits homographies only.");

    /// <summary>
    /// <paramref name="words"/> visual words: k-means centres of <paramref name="descriptors"/> (rows of
    /// <see cref="FeatureSet.DescriptorLength"/> bytes) as floats, row after row; seeded, so reproducible.
    /// </summary>
    float[] LearnVocabulary(ReadOnlySpan<byte> descriptors, int words, int seed);

    /// <summary>The nearest visual word (row of <paramref name="vocabulary"/>) of each feature.</summary>
    int[] Quantize(FeatureSet features, float[] vocabulary);

    /// <summary>
    /// The <paramref name="nearest"/> nearest visual words of each feature, nearest first, feature after
    /// feature (<c>Count * nearest</c> words): a query's soft assignment, so that a descriptor near the
    /// border of two words still meets the catalogue's features that fell on the other side.
    /// </summary>
    int[] QuantizeNearest(FeatureSet features, float[] vocabulary, int nearest) =>
        nearest <= 1 ? Quantize(features, vocabulary) : throw new NotSupportedException("This engine assigns one word per feature.");
}

/// <summary>A point in pixels (x right, y down).</summary>
public readonly record struct PointF(float X, float Y);

/// <summary>Features of one picture: keypoints and one 128-byte RootSIFT descriptor each (square roots of the L1-normalised SIFT, scaled to bytes).</summary>
public sealed record FeatureSet(int Width, int Height, FeaturePoint[] Points, byte[] Descriptors)
{
    public const int DescriptorLength = 128;

    public int Count => Points.Length;

    public ReadOnlySpan<byte> Descriptor(int index) => Descriptors.AsSpan(index * DescriptorLength, DescriptorLength);

    public static FeatureSet Empty(int width, int height) => new(width, height, [], []);
}

/// <summary>One keypoint: position, scale (diameter in pixels) and orientation (degrees).</summary>
public readonly record struct FeaturePoint(float X, float Y, float Size, float Angle);

/// <summary>A pair of features thought to show the same spot.</summary>
public readonly record struct FeatureMatch(int Query, int Candidate, float Distance);

/// <summary>A robustly fitted 3x3 homography (row-major) and the indices of the pairs that agree with it.</summary>
public sealed record GeometryFit(double[] Homography, int[] Inliers)
{
    /// <summary>Maps a query point to candidate pixels.</summary>
    public PointF Map(PointF p)
    {
        var h = Homography;
        double w = h[6] * p.X + h[7] * p.Y + h[8];
        return new PointF((float)((h[0] * p.X + h[1] * p.Y + h[2]) / w), (float)((h[3] * p.X + h[4] * p.Y + h[5]) / w));
    }
}
