using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Keypoints;

/// <summary>
/// Checks that descriptor matches between a photo and one catalogue picture agree on one similarity
/// transform. Each match alone proposes a transform (its two keypoints' scale, angle and position),
/// so every match is tried as a hypothesis: exact, deterministic, and cheap for the tens of matches
/// one picture gets. A hypothesis's inliers are refitted by least squares and counted again.
/// </summary>
public static class KeypointGeometry
{
    public static (int Inliers, SimilarityTransform? Transform, IReadOnlyList<(int Query, int Catalogue)> Pairs) Verify(KeypointSet query, KeypointSet catalogue,
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
            var inliers = Inliers(hypothesis, query, catalogue, matches, settings);
            if (inliers.Count < 2)
                continue;
            var refined = SpatialVerifier.FitLeastSquares(
                inliers.Select(m => ((double)catalogue.Points[m.Catalogue].X, (double)catalogue.Points[m.Catalogue].Y)).ToList(),
                inliers.Select(m => ((double)query.Points[m.Query].X, (double)query.Points[m.Query].Y)).ToList());
            var refinedInliers = Inliers(refined, query, catalogue, matches, settings);
            var (pairs, transform) = refinedInliers.Count >= inliers.Count ? (refinedInliers, refined) : (inliers, hypothesis);
            int count = Distinct(pairs);
            if (count > best)
                (best, bestTransform, bestPairs) = (count, transform, pairs);
        }
        return best >= 2 ? (best, bestTransform, bestPairs) : (Math.Min(1, matches.Count), null, []);
    }

    private static List<(int Query, int Catalogue)> Inliers(SimilarityTransform transform, KeypointSet query, KeypointSet catalogue,
        IReadOnlyList<(int Query, int Catalogue)> matches, KeypointMatchSettings settings)
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

    /// <summary>
    /// Inliers counted once per corner on either side: one corner is often found on two neighbouring
    /// pyramid levels and would otherwise count twice.
    /// </summary>
    private static int Distinct(List<(int Query, int Catalogue)> inliers) =>
        Math.Min(inliers.Select(m => m.Query).Distinct().Count(), inliers.Select(m => m.Catalogue).Distinct().Count());
}
