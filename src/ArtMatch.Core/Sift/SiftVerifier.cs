namespace ArtMatch.Core.Sift;

/// <summary>
/// The geometric model the pairs of one photo and one catalogue picture must agree on: a homography (a flat
/// picture, or a 3-D object seen from nearly the same place), an affine map (its far-camera approximation, one
/// pair fewer to fit), or a fundamental matrix (any two views of one rigid 3-D scene: the weakest constraint).
/// </summary>
public enum SiftGeometry
{
    Homography,
    Affine,
    Fundamental,
}

/// <summary>What geometric verification of a photo against one catalogue picture found.</summary>
public sealed record SiftVerification(int Matches, int Inliers, GeometryFit? Fit)
{
    public static SiftVerification None { get; } = new(0, 0, null);
}

/// <summary>
/// Robust geometric verification of two SIFT feature sets: ratio-test matches, a USAC/MAGSAC homography,
/// then the inliers whose own scale change and rotation agree with the majority's. A homography fitted
/// to chance matches is usually extreme or folded; the keypoints' own scales and angles are a second,
/// independent witness that the pairs move together.
/// </summary>
public static class SiftVerifier
{
    public static SiftVerification Verify(ILocalFeatureEngine engine, FeatureSet query, FeatureSet candidate, SiftSettings settings, SiftGeometry geometry = SiftGeometry.Homography)
    {
        var matches = engine.Match(query, candidate, settings.Ratio);
        if (matches.Count < 4)
            return new SiftVerification(matches.Count, 0, null);
        var pairs = matches.Select(m => (Point(query.Points[m.Query]), Point(candidate.Points[m.Candidate]))).ToList();
        if (geometry != SiftGeometry.Homography)
        {
            var agree = geometry == SiftGeometry.Affine ? engine.FitAffine(pairs, settings.ReprojectionPixels) : engine.FitFundamental(pairs, settings.EpipolarPixels);
            return new SiftVerification(matches.Count, agree is null ? 0 : Consistent(query, candidate, agree.Select(i => matches[i]).ToList(), settings), null);
        }
        if (engine.FitHomography(pairs, settings.ReprojectionPixels) is not { } fit || !Plausible(fit.Homography))
            return new SiftVerification(matches.Count, 0, null);
        return new SiftVerification(matches.Count, Consistent(query, candidate, fit.Inliers.Select(i => matches[i]).ToList(), settings), fit);
    }

    /// <summary>The inliers whose own scale change and rotation agree with the majority's.</summary>
    private static int Consistent(FeatureSet query, FeatureSet candidate, List<FeatureMatch> inliers, SiftSettings settings)
    {
        var logScales = inliers.Select(m => Math.Log(Math.Max(1e-3, candidate.Points[m.Candidate].Size) / Math.Max(1e-3, query.Points[m.Query].Size))).ToList();
        var rotations = inliers.Select(m => candidate.Points[m.Candidate].Angle - query.Points[m.Query].Angle).ToList();
        double medianScale = Median(logScales), medianRotation = CircularMedian(rotations);
        double scaleTolerance = Math.Log(settings.ScaleTolerance);
        int consistent = 0;
        for (int i = 0; i < inliers.Count; i++)
        {
            if (Math.Abs(logScales[i] - medianScale) <= scaleTolerance && AngleBetween(rotations[i], medianRotation) <= settings.AngleTolerance)
                consistent++;
        }
        return consistent;
    }

    private static PointF Point(FeaturePoint p) => new(p.X, p.Y);

    /// <summary>
    /// A homography a camera could make of a flat picture: not mirrored, and its linear part neither
    /// collapses nor blows up the picture more than 20 times (a 20x close-up is far past any photo here).
    /// </summary>
    internal static bool Plausible(double[] h)
    {
        double det = h[0] * h[4] - h[1] * h[3];
        return det > 1.0 / 400 && det < 400 && double.IsFinite(det);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    /// <summary>The most common rotation (degrees): the centre of the fullest 10-degree bin.</summary>
    private static double CircularMedian(List<float> angles)
    {
        if (angles.Count == 0)
            return 0;
        // Histogram of 10-degree bins, the fullest bin's mean: robust and O(n).
        var bins = new int[36];
        foreach (var a in angles)
            bins[(int)(((a % 360) + 360) % 360 / 10) % 36]++;
        int best = Array.IndexOf(bins, bins.Max());
        return best * 10 + 5;
    }

    private static double AngleBetween(double a, double b)
    {
        double d = Math.Abs(((a - b) % 360 + 360) % 360);
        return Math.Min(d, 360 - d);
    }
}
