using System.Numerics.Tensors;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Matching;

/// <summary>The geometric check of one candidate: how many local features agree on one transform.</summary>
public readonly record struct Verification(int MutualMatches, int Inliers, float Scale);

/// <summary>
/// Checks that two pictures show the same thing in the same arrangement: mutual nearest neighbours
/// between their dense CNN features, then the similarity transform (scale, rotation, shift) that
/// most matches agree on. Look-alikes share appearance but rarely share layout, so inliers separate
/// them from true matches. Every pair of matches is tried as a hypothesis (there are few matches),
/// which keeps the result exact and deterministic, unlike sampled RANSAC.
/// </summary>
public static class SpatialVerifier
{
    public static Verification Verify(LocalFeatures query, int queryWidth, int queryHeight,
                                      LocalFeatures candidate, int candidateWidth, int candidateHeight,
                                      float minSimilarity = 0.4f, float toleranceCells = 1.0f)
    {
        if (query.Count == 0 || candidate.Count == 0 || query.Dimension != candidate.Dimension)
            return default;

        var matches = MutualNearestNeighbours(query, candidate, minSimilarity);
        if (matches.Count < 2)
            return new Verification(matches.Count, matches.Count, 1);

        // Work in pixels so that the transform keeps angles; tolerance is about one query cell.
        var q = matches.Select(m => (X: query.Positions[2 * m.Query] * queryWidth, Y: query.Positions[2 * m.Query + 1] * queryHeight)).ToArray();
        var c = matches.Select(m => (X: candidate.Positions[2 * m.Candidate] * candidateWidth, Y: candidate.Positions[2 * m.Candidate + 1] * candidateHeight)).ToArray();
        double cell = Math.Max((double)queryWidth / query.GridWidth, (double)queryHeight / query.GridHeight);
        double tolerance2 = Math.Pow(toleranceCells * cell, 2);

        int best = 1;
        double bestScale = 1;
        for (int i = 0; i < matches.Count; i++)
        {
            for (int j = i + 1; j < matches.Count; j++)
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
                double br = q[i].X - (ar * c[i].X - ai * c[i].Y), bi = q[i].Y - (ai * c[i].X + ar * c[i].Y);
                int inliers = 0;
                for (int k = 0; k < matches.Count; k++)
                {
                    double px = ar * c[k].X - ai * c[k].Y + br - q[k].X;
                    double py = ai * c[k].X + ar * c[k].Y + bi - q[k].Y;
                    if (px * px + py * py <= tolerance2)
                        inliers++;
                }
                if (inliers > best)
                {
                    best = inliers;
                    bestScale = scale;
                }
            }
        }
        return new Verification(matches.Count, best, (float)bestScale);
    }

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
        var pairs = new List<(int, int)>();
        for (int i = 0; i < a.Count; i++)
        {
            int j = TensorPrimitives.IndexOfMax(similarity.AsSpan(i * b.Count, b.Count));
            if (bestForB[j] == i && similarity[i * b.Count + j] >= minSimilarity)
                pairs.Add((i, j));
        }
        return pairs;
    }
}
