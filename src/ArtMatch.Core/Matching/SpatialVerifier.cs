using System.Numerics.Tensors;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Matching;

/// <summary>
/// The geometric check of one candidate: how many local features agree on one transform, and which
/// (query cell, candidate cell) pairs those are.
/// </summary>
public readonly record struct Verification(int MutualMatches, int Inliers, float Scale)
{
    public IReadOnlyList<(int Query, int Candidate)> InlierPairs { get; init; } = [];

    /// <summary>The agreed transform, candidate pixels to query pixels; null with fewer than two inliers.</summary>
    public SimilarityTransform? Transform { get; init; }
}

/// <summary>Scale, rotation and shift in the plane, as complex numbers: q = a * c + b.</summary>
public readonly record struct SimilarityTransform(double Ar, double Ai, double Br, double Bi)
{
    public (double X, double Y) Apply(double x, double y) => (Ar * x - Ai * y + Br, Ai * x + Ar * y + Bi);

    public double Scale => Math.Sqrt(Ar * Ar + Ai * Ai);

    /// <summary>The mapping back: c = (q - b) / a.</summary>
    public SimilarityTransform Inverse()
    {
        double norm = Ar * Ar + Ai * Ai;
        double ir = Ar / norm, ii = -Ai / norm;
        return new SimilarityTransform(ir, ii, -(ir * Br - ii * Bi), -(ii * Br + ir * Bi));
    }
}

/// <summary>
/// Checks that two pictures show the same thing in the same arrangement: mutual nearest neighbours
/// between their dense CNN features, then the similarity transform (scale, rotation, shift) that
/// most matches agree on. Look-alikes share appearance but rarely share layout, so inliers separate
/// them from true matches. Every pair of matches is tried as a hypothesis (there are few matches),
/// which keeps the result exact and deterministic, unlike sampled RANSAC.
/// </summary>
public static class SpatialVerifier
{
    /// <summary>Matches, strongest first, that transform hypotheses are drawn from.</summary>
    private const int MaxHypothesisMatches = 32;

    public static Verification Verify(LocalFeatures query, int queryWidth, int queryHeight,
                                      LocalFeatures candidate, int candidateWidth, int candidateHeight,
                                      float minSimilarity = 0.4f, float toleranceCells = 1.0f)
    {
        if (query.Count == 0 || candidate.Count == 0 || query.Dimension != candidate.Dimension)
            return default;

        var matches = MutualNearestNeighbours(query, candidate, minSimilarity);
        if (matches.Count < 2)
            return new Verification(matches.Count, matches.Count, 1) { InlierPairs = matches };

        // Work in pixels so that the transform keeps angles; tolerance is about one query cell.
        var q = matches.Select(m => (X: query.Positions[2 * m.Query] * queryWidth, Y: query.Positions[2 * m.Query + 1] * queryHeight)).ToArray();
        var c = matches.Select(m => (X: candidate.Positions[2 * m.Candidate] * candidateWidth, Y: candidate.Positions[2 * m.Candidate + 1] * candidateHeight)).ToArray();
        double cell = Math.Max((double)queryWidth / query.GridWidth, (double)queryHeight / query.GridHeight);
        double tolerance2 = Math.Pow(toleranceCells * cell, 2);

        int best = 1;
        var bestTransform = default(SimilarityTransform);
        // Hypotheses come from pairs of the strongest matches (all of them when there are few): with
        // many matches the exhaustive O(n^3) search costs tens of milliseconds and finds the same transform.
        int hypotheses = Math.Min(matches.Count, MaxHypothesisMatches);
        for (int i = 0; i < hypotheses; i++)
        {
            for (int j = i + 1; j < hypotheses; j++)
            {
                // Similarity mapping candidate -> query from two correspondences, as complex numbers: q = a*c + b.
                double cx = c[j].X - c[i].X, cy = c[j].Y - c[i].Y;
                double qx = q[j].X - q[i].X, qy = q[j].Y - q[i].Y;
                double norm = cx * cx + cy * cy;
                if (norm < 1e-6)
                    continue;
                double ar = (qx * cx + qy * cy) / norm, ai = (qy * cx - qx * cy) / norm;
                double scale = Math.Sqrt(ar * ar + ai * ai);
                if (scale < 0.05 || scale > 20)
                    continue;
                var transform = new SimilarityTransform(ar, ai, q[i].X - (ar * c[i].X - ai * c[i].Y), q[i].Y - (ai * c[i].X + ar * c[i].Y));
                int inliers = 0;
                for (int k = 0; k < matches.Count; k++)
                {
                    if (Agrees(transform, k))
                        inliers++;
                }
                if (inliers > best)
                {
                    best = inliers;
                    bestTransform = transform;
                }
            }
        }
        if (best == 1)
            return new Verification(matches.Count, 1, 1) { InlierPairs = matches.Take(1).ToList() };
        var inlierIndices = Enumerable.Range(0, matches.Count).Where(k => Agrees(bestTransform, k)).ToList();
        return new Verification(matches.Count, best, (float)bestTransform.Scale)
        {
            InlierPairs = inlierIndices.Select(k => matches[k]).ToList(),
            Transform = FitLeastSquares(inlierIndices.Select(k => ((double)c[k].X, (double)c[k].Y)).ToList(), inlierIndices.Select(k => ((double)q[k].X, (double)q[k].Y)).ToList()),
        };

        bool Agrees(SimilarityTransform transform, int k)
        {
            var (x, y) = transform.Apply(c[k].X, c[k].Y);
            return (x - q[k].X) * (x - q[k].X) + (y - q[k].Y) * (y - q[k].Y) <= tolerance2;
        }
    }

    /// <summary>
    /// The similarity transform closest to all the inliers (a two-point hypothesis carries each
    /// point's cell-sized error; the fit over all of them lines the pictures up far better).
    /// </summary>
    internal static SimilarityTransform FitLeastSquares(IReadOnlyList<(double X, double Y)> from, IReadOnlyList<(double X, double Y)> to)
    {
        double fx = from.Average(p => p.X), fy = from.Average(p => p.Y), tx = to.Average(p => p.X), ty = to.Average(p => p.Y);
        double re = 0, im = 0, norm = 0;
        for (int k = 0; k < from.Count; k++)
        {
            // a = sum((to - mean) * conj(from - mean)) / sum(|from - mean|^2), as complex numbers.
            double cx = from[k].X - fx, cy = from[k].Y - fy, qx = to[k].X - tx, qy = to[k].Y - ty;
            re += qx * cx + qy * cy;
            im += qy * cx - qx * cy;
            norm += cx * cx + cy * cy;
        }
        double ar = norm > 0 ? re / norm : 1, ai = norm > 0 ? im / norm : 0;
        return new SimilarityTransform(ar, ai, tx - (ar * fx - ai * fy), ty - (ai * fx + ar * fy));
    }

    /// <summary>Pairs of cells that are each other's most similar, strongest first.</summary>
    internal static List<(int Query, int Candidate)> MutualNearestNeighbours(LocalFeatures a, LocalFeatures b, float minSimilarity)
    {
        var similarity = new float[a.Count * b.Count];
        for (int i = 0; i < a.Count; i++)
        {
            var row = a.Vector(i);
            for (int j = 0; j < b.Count; j++)
                similarity[i * b.Count + j] = TensorPrimitives.Dot(row, b.Vector(j));
        }
        var bestForB = new int[b.Count];
        for (int j = 0; j < b.Count; j++)
        {
            int arg = 0;
            for (int i = 1; i < a.Count; i++)
            {
                if (similarity[i * b.Count + j] > similarity[arg * b.Count + j])
                    arg = i;
            }
            bestForB[j] = arg;
        }
        var pairs = new List<(int Query, int Candidate, float Similarity)>();
        for (int i = 0; i < a.Count; i++)
        {
            int j = TensorPrimitives.IndexOfMax(similarity.AsSpan(i * b.Count, b.Count));
            if (bestForB[j] == i && similarity[i * b.Count + j] >= minSimilarity)
                pairs.Add((i, j, similarity[i * b.Count + j]));
        }
        // Strongest first (ties in query order), so that hypotheses start from the surest matches.
        return pairs.OrderByDescending(p => p.Similarity).ThenBy(p => p.Query).Select(p => (p.Query, p.Candidate)).ToList();
    }
}
