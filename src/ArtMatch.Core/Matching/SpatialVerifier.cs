using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    /// <summary>
    /// The dot product of every row of <paramref name="a"/> with every row of <paramref name="b"/>
    /// (row-major, <paramref name="dimension"/> floats a row) into <paramref name="result"/>[i * bCount + j].
    /// Four rows of each at a time, so that every vector loaded serves four products: one dot product
    /// per pair reads both rows from memory for two multiplications.
    /// </summary>
    internal static void Similarities(ReadOnlySpan<float> a, int aCount, ReadOnlySpan<float> b, int bCount, int dimension, Span<float> result)
    {
        int aBlocks = Vector256.IsHardwareAccelerated ? aCount / Block * Block : 0;
        int bBlocks = Vector256.IsHardwareAccelerated ? bCount / Block * Block : 0;
        for (int i = 0; i < aBlocks; i += Block)
        {
            for (int j = 0; j < bBlocks; j += Block)
                Block4x4(a.Slice(i * dimension, Block * dimension), b.Slice(j * dimension, Block * dimension), dimension, result.Slice(i * bCount + j), bCount);
        }
        // The rows left over, one pair at a time.
        for (int i = 0; i < aCount; i++)
        {
            var row = a.Slice(i * dimension, dimension);
            for (int j = i < aBlocks ? bBlocks : 0; j < bCount; j++)
                result[i * bCount + j] = TensorPrimitives.Dot(row, b.Slice(j * dimension, dimension));
        }
    }

    /// <summary>Sixteen dot products: rows 0-3 of <paramref name="a"/> with rows 0-3 of <paramref name="b"/>, into rows of <paramref name="stride"/>.</summary>
    private static void Block4x4(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int dimension, Span<float> result, int stride)
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default,
            s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        int d = 0;
        for (; d <= dimension - Vector256<float>.Count; d += Vector256<float>.Count)
        {
            var x0 = Vector256.LoadUnsafe(ref a0, (nuint)d);
            var x1 = Vector256.LoadUnsafe(ref a0, (nuint)(dimension + d));
            var x2 = Vector256.LoadUnsafe(ref a0, (nuint)(2 * dimension + d));
            var x3 = Vector256.LoadUnsafe(ref a0, (nuint)(3 * dimension + d));
            var y = Vector256.LoadUnsafe(ref b0, (nuint)d);
            s00 = Vector256.MultiplyAddEstimate(x0, y, s00); s10 = Vector256.MultiplyAddEstimate(x1, y, s10);
            s20 = Vector256.MultiplyAddEstimate(x2, y, s20); s30 = Vector256.MultiplyAddEstimate(x3, y, s30);
            y = Vector256.LoadUnsafe(ref b0, (nuint)(dimension + d));
            s01 = Vector256.MultiplyAddEstimate(x0, y, s01); s11 = Vector256.MultiplyAddEstimate(x1, y, s11);
            s21 = Vector256.MultiplyAddEstimate(x2, y, s21); s31 = Vector256.MultiplyAddEstimate(x3, y, s31);
            y = Vector256.LoadUnsafe(ref b0, (nuint)(2 * dimension + d));
            s02 = Vector256.MultiplyAddEstimate(x0, y, s02); s12 = Vector256.MultiplyAddEstimate(x1, y, s12);
            s22 = Vector256.MultiplyAddEstimate(x2, y, s22); s32 = Vector256.MultiplyAddEstimate(x3, y, s32);
            y = Vector256.LoadUnsafe(ref b0, (nuint)(3 * dimension + d));
            s03 = Vector256.MultiplyAddEstimate(x0, y, s03); s13 = Vector256.MultiplyAddEstimate(x1, y, s13);
            s23 = Vector256.MultiplyAddEstimate(x2, y, s23); s33 = Vector256.MultiplyAddEstimate(x3, y, s33);
        }
        Span<Vector256<float>> sums = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
        for (int r = 0; r < Block; r++)
        {
            for (int c = 0; c < Block; c++)
            {
                float sum = Vector256.Sum(sums[r * Block + c]);
                for (int t = d; t < dimension; t++)
                    sum += a[r * dimension + t] * b[c * dimension + t];
                result[r * stride + c] = sum;
            }
        }
    }

    /// <summary>Rows of each side per block of <see cref="Similarities"/> (sixteen accumulators: what the registers hold).</summary>
    private const int Block = 4;

    /// <summary>Pairs of cells that are each other's most similar, strongest first.</summary>
    internal static List<(int Query, int Candidate)> MutualNearestNeighbours(LocalFeatures a, LocalFeatures b, float minSimilarity)
    {
        var similarity = new float[a.Count * b.Count];
        Similarities(a.Vectors, a.Count, b.Vectors, b.Count, a.Dimension, similarity);
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
