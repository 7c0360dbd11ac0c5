using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Keypoints;

/// <summary>
/// The transform check of keypoint matches gives, to the bit, the answer of testing every hypothesis
/// straight from the keypoints (<see cref="Reference"/>, the check as it was written first).
/// </summary>
public class KeypointGeometryTests
{
    private static readonly KeypointSettings Catalogue = new() { MaxKeypoints = 6000 };
    private static readonly KeypointSettings Photo = new();
    private static readonly KeypointMatchSettings Settings = new();

    /// <summary>Matches as the search makes them: nearest descriptor within the picture, near enough, clearly nearer than the second.</summary>
    private static List<(int Query, int Catalogue)> Matches(KeypointSet photo, KeypointSet picture)
    {
        var matches = new List<(int, int)>();
        var nearest = KeypointIndex.NearestWithin(photo, picture);
        for (int k = 0; k < photo.Count; k++)
        {
            var (best, second, row) = nearest[k];
            if (best <= Settings.MaxDistance && best < Settings.Ratio * second)
                matches.Add((k, row));
        }
        return matches;
    }

    public static TheoryData<string> Pairs() => new() { "shrunk", "detail", "other", "turned" };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Verify_DetectedPictures_GivesTheReferenceAnswer(string pair)
    {
        var painting = KeypointTests.Painting(400, 300, seed: 11);
        var picture = KeypointDetector.Detect(painting, Catalogue);
        var photoImage = pair switch
        {
            "shrunk" => painting.Shrink(290, 217),
            "detail" => Crop(painting, 120, 80, 160, 120),
            "turned" => Turn(painting.Shrink(300, 225)),
            _ => KeypointTests.Painting(300, 225, seed: 12),
        };
        var photo = KeypointDetector.Detect(photoImage, Photo);
        var matches = Matches(photo, picture);
        var expected = Reference(photo, picture, matches, Settings);
        var actual = KeypointGeometry.Verify(photo, picture, matches, Settings);
        AssertSame(expected, actual);
        // A true pair must exercise the inlier path, the other one the chance path.
        if (pair == "other")
            Assert.True(expected.Inliers < 8, $"{expected.Inliers} inliers between two different paintings");
        else
            Assert.True(expected.Inliers >= 20, $"only {expected.Inliers} inliers ({matches.Count} matches)");
    }

    [Fact]
    public void Verify_ScalesAndTurnsAtTheTolerances_GivesTheReferenceAnswer()
    {
        // Hand-made keypoints whose own scale change and turn sit on, just inside and just past the
        // tolerances, and turns near half a turn either way (where the remainder wraps).
        var random = new Random(7);
        var photoPoints = new List<Keypoint>();
        var picturePoints = new List<Keypoint>();
        float[] scales = [1f, 1.5f, 1.4999999f, 1.5000001f, 1 / 1.5f, 0.6666666f, 0.6666667f, 1.2f, 2.25f];
        float[] turns = [0f, 0.5f, 0.4999999f, 0.5000001f, -0.5f, MathF.PI, -MathF.PI, 3.1415925f, MathF.PI - 0.5f, 2 * MathF.PI];
        for (int i = 0; i < 160; i++)
        {
            float x = random.Next(300), y = random.Next(200);
            float scale = scales[i % scales.Length], turn = turns[i / scales.Length % turns.Length];
            picturePoints.Add(new Keypoint(x, y, 1.2f, 0.3f));
            // Mostly where a 1.2 scale and no turn put them, some a pixel or three off, some anywhere.
            float offset = i % 5 == 0 ? 3.5f : i % 7 == 0 ? random.Next(100) : 0.25f * (i % 3);
            photoPoints.Add(new Keypoint(1.2f * x + 5 + offset, 1.2f * y - 3, 1.2f * scale, 0.3f + turn));
        }
        var photo = new KeypointSet(400, 300, [.. photoPoints], new ulong[photoPoints.Count * 4]);
        var picture = new KeypointSet(400, 300, [.. picturePoints], new ulong[picturePoints.Count * 4]);
        var matches = Enumerable.Range(0, photoPoints.Count).Select(i => (i, i)).ToList();
        // Two photo corners on one catalogue corner: counted once.
        matches.Add((5, 6));
        var expected = Reference(photo, picture, matches, Settings);
        AssertSame(expected, KeypointGeometry.Verify(photo, picture, matches, Settings));
        Assert.True(expected.Inliers >= 10, $"only {expected.Inliers} inliers");
    }

    [Fact]
    public void Verify_FewMatches_GivesTheReferenceAnswer()
    {
        var picture = KeypointDetector.Detect(KeypointTests.Painting(200, 150, seed: 3), Photo);
        foreach (int count in new[] { 0, 1, 2, 3 })
        {
            var matches = Enumerable.Range(0, count).Select(i => (i, (i * 7) % picture.Count)).ToList();
            AssertSame(Reference(picture, picture, matches, Settings), KeypointGeometry.Verify(picture, picture, matches, Settings));
        }
    }

    private static void AssertSame((int Inliers, SimilarityTransform? Transform, IReadOnlyList<(int, int)> Pairs) expected,
        (int Inliers, SimilarityTransform? Transform, IReadOnlyList<(int, int)> Pairs) actual)
    {
        Assert.Equal(expected.Inliers, actual.Inliers);
        // Record equality compares the doubles exactly.
        Assert.Equal(expected.Transform, actual.Transform);
        Assert.Equal(expected.Pairs, actual.Pairs);
    }

    private static GreyImage Crop(GreyImage image, int x0, int y0, int width, int height)
    {
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
            Array.Copy(image.Pixels, (y0 + y) * image.Width + x0, pixels, y * width, width);
        return new GreyImage(width, height, pixels);
    }

    private static GreyImage Turn(GreyImage image)
    {
        var pixels = new byte[image.Width * image.Height];
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
                pixels[x * image.Height + (image.Height - 1 - y)] = image.Pixels[y * image.Width + x];
        }
        return new GreyImage(image.Height, image.Width, pixels);
    }

    /// <summary>The check as first written: every hypothesis tested from the keypoints, lists and LINQ, log and remainder for every inlier.</summary>
    private static (int Inliers, SimilarityTransform? Transform, IReadOnlyList<(int Query, int Catalogue)> Pairs) Reference(KeypointSet query, KeypointSet catalogue,
        IReadOnlyList<(int Query, int Catalogue)> matches, KeypointMatchSettings settings)
    {
        if (matches.Count == 0)
            return (0, null, []);
        int best = 0;
        SimilarityTransform? bestTransform = null;
        IReadOnlyList<(int, int)> bestPairs = [];
        foreach (var (qi, ci) in matches)
        {
            var q = query.Points[qi];
            var c = catalogue.Points[ci];
            double scale = q.Scale / c.Scale, turn = q.Angle - c.Angle;
            double ar = scale * Math.Cos(turn), ai = scale * Math.Sin(turn);
            var hypothesis = new SimilarityTransform(ar, ai, q.X - (ar * c.X - ai * c.Y), q.Y - (ai * c.X + ar * c.Y));
            var inliers = Inliers(hypothesis);
            if (inliers.Count < 2)
                continue;
            var refined = SpatialVerifier.FitLeastSquares(
                inliers.Select(m => ((double)catalogue.Points[m.Catalogue].X, (double)catalogue.Points[m.Catalogue].Y)).ToList(),
                inliers.Select(m => ((double)query.Points[m.Query].X, (double)query.Points[m.Query].Y)).ToList());
            var refinedInliers = Inliers(refined);
            var (pairs, transform) = refinedInliers.Count >= inliers.Count ? (refinedInliers, refined) : (inliers, hypothesis);
            int count = Math.Min(pairs.Select(m => m.Query).Distinct().Count(), pairs.Select(m => m.Catalogue).Distinct().Count());
            if (count > best)
                (best, bestTransform, bestPairs) = (count, transform, pairs);
        }
        return best >= 2 ? (best, bestTransform, bestPairs) : (Math.Min(1, matches.Count), null, []);

        List<(int Query, int Catalogue)> Inliers(SimilarityTransform transform)
        {
            double scale = transform.Scale, turn = Math.Atan2(transform.Ai, transform.Ar);
            double logScaleTolerance = Math.Log(settings.ScaleTolerance);
            var inliers = new List<(int, int)>();
            foreach (var (qi, ci) in matches)
            {
                var q = query.Points[qi];
                var c = catalogue.Points[ci];
                var (x, y) = transform.Apply(c.X, c.Y);
                double tolerance = settings.TolerancePixels * q.Scale;
                if ((x - q.X) * (x - q.X) + (y - q.Y) * (y - q.Y) > tolerance * tolerance)
                    continue;
                if (Math.Abs(Math.Log(q.Scale / c.Scale / scale)) > logScaleTolerance)
                    continue;
                double angleError = Math.IEEERemainder(q.Angle - c.Angle - turn, 2 * Math.PI);
                if (Math.Abs(angleError) > settings.AngleTolerance)
                    continue;
                inliers.Add((qi, ci));
            }
            return inliers;
        }
    }
}
