using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Sift;
using OpenCvSharp;
using OpenCvSharp.Features2D;
using CorePoint = ArtMatch.Core.Sift.PointF;

namespace ArtMatch.Features;

/// <summary>
/// <see cref="ILocalFeatureEngine"/> on OpenCV: SIFT keypoints with RootSIFT descriptors (Arandjelović
/// and Zisserman 2012: the square root of the L1-normalised SIFT, so that Euclidean distance compares
/// like the Hellinger kernel), brute-force L2 matching with Lowe's ratio test, USAC/MAGSAC homographies,
/// and k-means visual words. Thread-safe: every call makes its own OpenCV objects.
/// </summary>
public sealed class OpenCvFeatureEngine : ILocalFeatureEngine
{
    /// <summary>
    /// RootSIFT values are square roots of shares of one (L1 norm 1), and SIFT clips each bin at 0.2 of
    /// its L2 norm, so no value comes near 1: 512 spreads the usual range over the byte, and the rare
    /// larger value is clamped.
    /// </summary>
    public const float ByteScale = 512f;

    public FeatureSet Detect(GreyImage image, int maxFeatures)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        using var mat = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC1, image.Pixels);
        using var sift = SIFT.Create(maxFeatures);
        using var descriptors = new Mat();
        sift.DetectAndCompute(mat, null, out var keypoints, descriptors);
        if (keypoints.Length == 0 || descriptors.Empty())
            return FeatureSet.Empty(image.Width, image.Height);
        // SIFT may return a few more than asked (ties at the response cut, one keypoint per orientation).
        int count = Math.Min(keypoints.Length, maxFeatures);
        var points = new FeaturePoint[count];
        var bytes = new byte[count * FeatureSet.DescriptorLength];
        var row = new float[FeatureSet.DescriptorLength];
        for (int i = 0; i < count; i++)
        {
            var k = keypoints[i];
            points[i] = new FeaturePoint(k.Pt.X, k.Pt.Y, k.Size, k.Angle);
            for (int j = 0; j < row.Length; j++)
                row[j] = descriptors.At<float>(i, j);
            RootSift(row, bytes.AsSpan(i * FeatureSet.DescriptorLength, FeatureSet.DescriptorLength));
        }
        return new FeatureSet(image.Width, image.Height, points, bytes);
    }

    /// <summary>The square root of the L1-normalised descriptor, as bytes (<see cref="ByteScale"/>).</summary>
    internal static void RootSift(ReadOnlySpan<float> sift, Span<byte> output)
    {
        float sum = 0;
        foreach (var v in sift)
            sum += Math.Abs(v);
        float inverse = sum > 0 ? 1 / sum : 0;
        for (int j = 0; j < sift.Length; j++)
            output[j] = (byte)Math.Clamp(MathF.Sqrt(Math.Abs(sift[j]) * inverse) * ByteScale + 0.5f, 0, 255);
    }

    public IReadOnlyList<FeatureMatch> Match(FeatureSet query, FeatureSet candidate, float ratio)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(candidate);
        if (query.Count == 0 || candidate.Count < 2)
            return [];
        using var q = AsFloatMat(query.Descriptors, query.Count);
        using var c = AsFloatMat(candidate.Descriptors, candidate.Count);
        using var matcher = new BFMatcher(NormTypes.L2);
        var nearest = matcher.KnnMatch(q, c, 2);
        // One query feature per candidate feature: the closest wins (a repeated texture would otherwise
        // give one candidate spot many votes).
        var best = new Dictionary<int, FeatureMatch>();
        foreach (var pair in nearest)
        {
            if (pair.Length < 2 || pair[0].Distance >= ratio * pair[1].Distance)
                continue;
            var m = new FeatureMatch(pair[0].QueryIdx, pair[0].TrainIdx, pair[0].Distance);
            if (!best.TryGetValue(m.Candidate, out var held) || m.Distance < held.Distance)
                best[m.Candidate] = m;
        }
        return best.Values.OrderBy(m => m.Query).ToList();
    }

    public GeometryFit? FitHomography(IReadOnlyList<(CorePoint Query, CorePoint Candidate)> pairs, double reprojectionPixels)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count < 4)
            return null;
        var source = pairs.Select(p => new Point2d(p.Query.X, p.Query.Y)).ToArray();
        var target = pairs.Select(p => new Point2d(p.Candidate.X, p.Candidate.Y)).ToArray();
        using var src = InputArray.Create(source);
        using var dst = InputArray.Create(target);
        using var mask = new Mat();
        using var h = Cv2.FindHomography(src, dst, HomographyMethods.USAC_MAGSAC, reprojectionPixels, mask, maxIters: 2000, confidence: 0.995);
        if (h.Empty() || mask.Empty())
            return null;
        var homography = new double[9];
        for (int i = 0; i < 9; i++)
            homography[i] = h.At<double>(i / 3, i % 3);
        var inliers = new List<int>();
        for (int i = 0; i < pairs.Count; i++)
        {
            if (mask.At<byte>(i) != 0)
                inliers.Add(i);
        }
        return new GeometryFit(homography, [.. inliers]);
    }

    public int[]? FitAffine(IReadOnlyList<(CorePoint Query, CorePoint Candidate)> pairs, double reprojectionPixels)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count < 3)
            return null;
        using var src = InputArray.Create(pairs.Select(p => new Point2f(p.Query.X, p.Query.Y)).ToArray());
        using var dst = InputArray.Create(pairs.Select(p => new Point2f(p.Candidate.X, p.Candidate.Y)).ToArray());
        using var mask = new Mat();
        using var a = Cv2.EstimateAffine2D(src, dst, mask, RobustEstimationAlgorithms.RANSAC, reprojectionPixels, 2000, 0.995, 10);
        return a is null || a.Empty() || mask.Empty() ? null : Inliers(mask, pairs.Count);
    }

    public int[]? FitFundamental(IReadOnlyList<(CorePoint Query, CorePoint Candidate)> pairs, double epipolarPixels)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count < 8)
            return null;
        using var src = InputArray.Create(pairs.Select(p => new Point2d(p.Query.X, p.Query.Y)).ToArray());
        using var dst = InputArray.Create(pairs.Select(p => new Point2d(p.Candidate.X, p.Candidate.Y)).ToArray());
        using var mask = new Mat();
        using var f = Cv2.FindFundamentalMat(src, dst, FundamentalMatMethods.Ransac, epipolarPixels, 0.995, mask);
        return f.Empty() || mask.Empty() ? null : Inliers(mask, pairs.Count);
    }

    private static int[] Inliers(Mat mask, int count)
    {
        var inliers = new List<int>();
        for (int i = 0; i < count; i++)
        {
            if (mask.At<byte>(i) != 0)
                inliers.Add(i);
        }
        return [.. inliers];
    }

    /// <summary>
    /// <paramref name="words"/> visual words: k-means++ centres of <paramref name="descriptors"/> (rows of
    /// 128 bytes), as floats, row after row. Seeded, so a vocabulary learned twice from one sample is the same.
    /// </summary>
    public float[] LearnVocabulary(ReadOnlySpan<byte> descriptors, int words, int seed)
    {
        int rows = descriptors.Length / FeatureSet.DescriptorLength;
        if (rows < words)
            throw new ArgumentException($"{rows} descriptors cannot make {words} visual words.", nameof(descriptors));
        using var data = AsFloatMat(descriptors, rows);
        using var labels = new Mat();
        using var centres = new Mat();
        Cv2.SetTheRNG((ulong)seed);
        Cv2.Kmeans(data, words, labels, new TermCriteria(CriteriaTypes.MaxIter | CriteriaTypes.Eps, 20, 0.5), 1, KMeansFlags.PpCenters, centres);
        var output = new float[words * FeatureSet.DescriptorLength];
        centres.GetArray(out float[] flat);
        flat.AsSpan(0, output.Length).CopyTo(output);
        return output;
    }

    /// <summary>The nearest visual word of each feature (<paramref name="vocabulary"/>: centres as from <see cref="LearnVocabulary"/>).</summary>
    public int[] Quantize(FeatureSet features, float[] vocabulary)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (features.Count == 0)
            return [];
        using var q = AsFloatMat(features.Descriptors, features.Count);
        using var words = Mat.FromPixelData(vocabulary.Length / FeatureSet.DescriptorLength, FeatureSet.DescriptorLength, MatType.CV_32FC1, vocabulary);
        using var matcher = new BFMatcher(NormTypes.L2);
        return matcher.Match(q, words).OrderBy(m => m.QueryIdx).Select(m => m.TrainIdx).ToArray();
    }

    /// <summary>The <paramref name="nearest"/> nearest visual words of each feature, nearest first (fewer when the vocabulary is smaller).</summary>
    public int[] QuantizeNearest(FeatureSet features, float[] vocabulary, int nearest)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(nearest, 1);
        if (nearest == 1)
            return Quantize(features, vocabulary);
        if (features.Count == 0)
            return [];
        using var q = AsFloatMat(features.Descriptors, features.Count);
        using var words = Mat.FromPixelData(vocabulary.Length / FeatureSet.DescriptorLength, FeatureSet.DescriptorLength, MatType.CV_32FC1, vocabulary);
        using var matcher = new BFMatcher(NormTypes.L2);
        var assigned = new List<int>(features.Count * nearest);
        foreach (var row in matcher.KnnMatch(q, words, nearest).Where(r => r.Length > 0).OrderBy(r => r[0].QueryIdx))
            assigned.AddRange(row.OrderBy(m => m.Distance).Select(m => m.TrainIdx));
        return assigned.ToArray();
    }

    private static Mat AsFloatMat(ReadOnlySpan<byte> bytes, int rows)
    {
        var floats = new float[rows * FeatureSet.DescriptorLength];
        for (int i = 0; i < floats.Length; i++)
            floats[i] = bytes[i];
        return Mat.FromPixelData(rows, FeatureSet.DescriptorLength, MatType.CV_32FC1, floats);
    }
}
