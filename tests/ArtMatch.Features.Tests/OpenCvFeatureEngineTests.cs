using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Sift;
using ArtMatch.TestSupport;
using OpenCvSharp;
using SiftPoint = ArtMatch.Core.Sift.PointF;

namespace ArtMatch.Features.Tests;

/// <summary>The OpenCV path on real catalogue pictures warped by a known homography.</summary>
public sealed class OpenCvFeatureEngineTests
{
    private readonly OpenCvFeatureEngine _engine = new();

    private static GreyImage Load(string relative)
    {
        using var mat = Cv2.ImRead(RepoPaths.DevFile(relative), ImreadModes.Grayscale);
        Assert.False(mat.Empty(), $"could not read {relative}");
        return FromMat(mat);
    }

    private static GreyImage FromMat(Mat mat)
    {
        mat.GetArray(out byte[] pixels);
        return new GreyImage(mat.Width, mat.Height, pixels);
    }

    /// <summary>The picture seen off-axis and smaller: a perspective homography with rotation and scale.</summary>
    private static (GreyImage Warped, double[] H) Warp(GreyImage image)
    {
        double w = image.Width, h = image.Height;
        var from = new[] { new Point2f(0, 0), new Point2f((float)w, 0), new Point2f((float)w, (float)h), new Point2f(0, (float)h) };
        var to = new[]
        {
            new Point2f((float)(0.12 * w), (float)(0.08 * h)), new Point2f((float)(0.85 * w), (float)(0.15 * h)),
            new Point2f((float)(0.80 * w), (float)(0.90 * h)), new Point2f((float)(0.05 * w), (float)(0.80 * h)),
        };
        using var homography = Cv2.GetPerspectiveTransform(from, to);
        using var source = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC1, image.Pixels);
        using var warped = new Mat();
        Cv2.WarpPerspective(source, warped, homography, source.Size(), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(128));
        var h9 = new double[9];
        for (int i = 0; i < 9; i++)
            h9[i] = homography.At<double>(i / 3, i % 3);
        return (FromMat(warped), h9);
    }

    private (GeometryFit? Fit, IReadOnlyList<FeatureMatch> Matches, FeatureSet Query, FeatureSet Candidate) MatchPair(GreyImage query, GreyImage candidate)
    {
        var q = _engine.Detect(query, 1000);
        var c = _engine.Detect(candidate, 1000);
        var matches = _engine.Match(q, c, 0.8f);
        var pairs = matches.Select(m => (new SiftPoint(q.Points[m.Query].X, q.Points[m.Query].Y), new SiftPoint(c.Points[m.Candidate].X, c.Points[m.Candidate].Y))).ToList();
        return (_engine.FitHomography(pairs, 4), matches, q, c);
    }

    [Fact]
    public void FitHomography_WarpedPicture_RecoversTheTransformWithinAPixel()
    {
        var original = Load("catalog/gc-painting-hokusai-poppies/1.jpg");
        var (warped, truth) = Warp(original);
        // Query = the original, candidate = the warped copy: the fit maps original pixels to warped ones, as truth does.
        var (fit, _, _, _) = MatchPair(original, warped);
        Assert.NotNull(fit);
        Assert.True(fit.Inliers.Length >= 50, $"{fit.Inliers.Length} inliers");
        var expected = new GeometryFit(truth, []);
        for (double fx = 0.1; fx < 1; fx += 0.2)
        {
            for (double fy = 0.1; fy < 1; fy += 0.2)
            {
                var p = new SiftPoint((float)(fx * original.Width), (float)(fy * original.Height));
                var (a, b) = (fit.Map(p), expected.Map(p));
                double error = Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
                Assert.True(error < 1.0, $"at ({p.X:F0},{p.Y:F0}) the fit is {error:F2} px off");
            }
        }
    }

    [Fact]
    public void FitHomography_UnrelatedPicture_FindsFewInliers()
    {
        var (fit, _, _, _) = MatchPair(Load("catalog/gc-painting-hokusai-poppies/1.jpg"), Load("catalog/tux-animal-tiger/1.jpg"));
        Assert.True((fit?.Inliers.Length ?? 0) < 12, $"{fit?.Inliers.Length} inliers between unrelated pictures");
    }

    [Fact]
    public void Detect_CapsTheFeaturesAndWritesRootSiftBytes()
    {
        var features = _engine.Detect(Load("catalog/gc-painting-hokusai-poppies/1.jpg"), 300);
        Assert.InRange(features.Count, 100, 300);
        Assert.Equal(features.Count * FeatureSet.DescriptorLength, features.Descriptors.Length);
        // RootSIFT has unit L2 norm before scaling: the bytes' norm is close to the scale.
        for (int i = 0; i < features.Count; i += 37)
        {
            double norm = Math.Sqrt(features.Descriptor(i).ToArray().Sum(b => (double)b * b));
            Assert.InRange(norm, OpenCvFeatureEngine.ByteScale * 0.97, OpenCvFeatureEngine.ByteScale * 1.01);
        }
    }

    [Fact]
    public void Detect_FlatPicture_FindsNothing()
    {
        var features = _engine.Detect(new GreyImage(64, 48, Enumerable.Repeat((byte)90, 64 * 48).ToArray()), 100);
        Assert.Equal(0, features.Count);
        Assert.Empty(_engine.Match(features, features, 0.8f));
        Assert.Null(_engine.FitHomography([], 4));
    }

    [Fact]
    public void Quantize_EachFeatureGetsItsNearestWord()
    {
        var features = _engine.Detect(Load("catalog/gc-painting-hokusai-poppies/1.jpg"), 400);
        var vocabulary = _engine.LearnVocabulary(features.Descriptors, 16, seed: 1);
        Assert.Equal(vocabulary, _engine.LearnVocabulary(features.Descriptors, 16, seed: 1));
        var words = _engine.Quantize(features, vocabulary);
        Assert.Equal(features.Count, words.Length);
        for (int i = 0; i < features.Count; i += 23)
        {
            var d = features.Descriptor(i).ToArray();
            int nearest = Enumerable.Range(0, 16).MinBy(w => Enumerable.Range(0, 128).Sum(j => Math.Pow(d[j] - vocabulary[w * 128 + j], 2)));
            Assert.Equal(nearest, words[i]);
        }
    }

    [Fact]
    public void QuantizeNearest_GivesEachFeatureItsNearestWordsInOrder()
    {
        var features = _engine.Detect(Load("catalog/gc-painting-hokusai-poppies/1.jpg"), 400);
        var vocabulary = _engine.LearnVocabulary(features.Descriptors, 16, seed: 1);
        var nearest = _engine.Quantize(features, vocabulary);
        var three = _engine.QuantizeNearest(features, vocabulary, 3);
        Assert.Equal(features.Count * 3, three.Length);
        Assert.Equal(nearest, _engine.QuantizeNearest(features, vocabulary, 1));
        for (int i = 0; i < features.Count; i += 17)
        {
            var d = features.Descriptor(i).ToArray();
            var byDistance = Enumerable.Range(0, 16).OrderBy(w => Enumerable.Range(0, 128).Sum(j => Math.Pow(d[j] - vocabulary[w * 128 + j], 2))).Take(3).ToArray();
            Assert.Equal(nearest[i], three[i * 3]);
            Assert.Equal(byDistance, three.AsSpan(i * 3, 3).ToArray());
        }
    }
}
