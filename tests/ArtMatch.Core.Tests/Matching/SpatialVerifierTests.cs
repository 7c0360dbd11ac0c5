using ArtMatch.Core.Embedding;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

public class SpatialVerifierTests
{
    /// <summary>A grid of random unit features; <paramref name="at"/> maps a cell to the feature it carries.</summary>
    private static LocalFeatures Grid(int w, int h, Func<int, int, int> at, float[][] bank)
    {
        int dim = bank[0].Length;
        var vectors = new float[w * h * dim];
        var positions = new float[w * h * 2];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int cell = y * w + x;
                bank[at(x, y)].CopyTo(vectors, cell * dim);
                positions[2 * cell] = (x + 0.5f) / w;
                positions[2 * cell + 1] = (y + 0.5f) / h;
            }
        }
        return new LocalFeatures(w, h, dim, vectors, positions);
    }

    private static float[][] Bank(int count, int dim, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var v = Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            Pooling.L2Normalize(v);
            return v;
        }).ToArray();
    }

    [Fact]
    public void Verify_ShiftedCropOfSameLayout_FindsManyInliers()
    {
        var bank = Bank(100, 32, 1);
        var catalogue = Grid(10, 10, (x, y) => y * 10 + x, bank);
        // The query shows the catalogue's cells 2..7 x 3..8: a crop, so features keep their layout.
        var query = Grid(6, 6, (x, y) => (y + 3) * 10 + x + 2, bank);

        var result = SpatialVerifier.Verify(query, 600, 600, catalogue, 1000, 1000);

        Assert.Equal(36, result.MutualMatches);
        Assert.Equal(36, result.Inliers);
        Assert.InRange(result.Scale, 0.99f, 1.01f);
        Assert.Equal(36, result.InlierPairs.Count);
        // Query pixel = catalogue pixel - (200, 300): the crop's corner in the catalogue.
        var (x, y) = result.Transform!.Value.Apply(500, 500);
        Assert.Equal(300, x, 3);
        Assert.Equal(200, y, 3);
    }

    [Fact]
    public void FitLeastSquares_RecoversScaleRotationAndShiftFromNoisyPoints()
    {
        var truth = new SimilarityTransform(0.5 * Math.Cos(0.3), 0.5 * Math.Sin(0.3), 40, -20);
        var random = new Random(7);
        var from = Enumerable.Range(0, 40).Select(_ => (random.NextDouble() * 600, random.NextDouble() * 400)).ToList();
        var to = from.Select(p => truth.Apply(p.Item1, p.Item2)).Select(p => (p.X + random.NextDouble() - 0.5, p.Y + random.NextDouble() - 0.5)).ToList();

        var fitted = SpatialVerifier.FitLeastSquares(from, to);

        Assert.Equal(0.5, fitted.Scale, 2);
        var (x, y) = fitted.Apply(300, 200);
        var (tx, ty) = truth.Apply(300, 200);
        Assert.Equal(tx, x, 0);
        Assert.Equal(ty, y, 0);
        var (bx, by) = fitted.Inverse().Apply(x, y);
        Assert.Equal(300, bx, 6);
        Assert.Equal(200, by, 6);
    }

    [Fact]
    public void Verify_SameFeaturesShuffled_FindsFewInliers()
    {
        var bank = Bank(100, 32, 2);
        var catalogue = Grid(10, 10, (x, y) => y * 10 + x, bank);
        var shuffle = new Random(5);
        var order = Enumerable.Range(0, 100).OrderBy(_ => shuffle.Next()).ToArray();
        var query = Grid(10, 10, (x, y) => order[y * 10 + x], bank);

        var result = SpatialVerifier.Verify(query, 1000, 1000, catalogue, 1000, 1000);

        Assert.Equal(100, result.MutualMatches);
        Assert.True(result.Inliers < 12, $"shuffled layout gave {result.Inliers} inliers");
    }

    [Fact]
    public void Verify_UnrelatedFeatures_FindsNoMatches()
    {
        var catalogue = Grid(5, 5, (x, y) => y * 5 + x, Bank(25, 64, 3));
        var query = Grid(5, 5, (x, y) => y * 5 + x, Bank(25, 64, 4));

        var result = SpatialVerifier.Verify(query, 500, 500, catalogue, 500, 500, minSimilarity: 0.5f);

        Assert.Equal(0, result.Inliers);
    }

    [Theory]
    [InlineData(80, 80, 1280)]
    [InlineData(7, 10, 13)]
    [InlineData(3, 2, 8)]
    [InlineData(9, 5, 1283)]
    public void Similarities_BlocksAndLeftovers_EqualOneDotProductPerPair(int aCount, int bCount, int dimension)
    {
        var random = new Random(aCount * 31 + bCount);
        var a = Enumerable.Range(0, aCount * dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, bCount * dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var result = new float[aCount * bCount];

        SpatialVerifier.Similarities(a, aCount, b, bCount, dimension, result);

        for (int i = 0; i < aCount; i++)
        {
            for (int j = 0; j < bCount; j++)
            {
                float expected = System.Numerics.Tensors.TensorPrimitives.Dot(a.AsSpan(i * dimension, dimension), b.AsSpan(j * dimension, dimension));
                Assert.True(Math.Abs(result[i * bCount + j] - expected) <= 1e-4f * (1 + Math.Abs(expected)), $"({i}, {j}): {result[i * bCount + j]} vs {expected}");
            }
        }
    }
}
