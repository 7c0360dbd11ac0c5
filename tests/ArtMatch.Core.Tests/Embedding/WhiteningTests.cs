using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Tests.Embedding;

public class WhiteningTests
{
    private const int Dimension = 8;

    /// <summary>Unit vectors spread a lot along axis 0 (what every picture varies in) and little along the others.</summary>
    private static List<ReadOnlyMemory<float>> Catalogue(int count)
    {
        var random = new Random(7);
        var vectors = new List<ReadOnlyMemory<float>>();
        for (int v = 0; v < count; v++)
        {
            var x = new float[Dimension];
            x[0] = 1 + (float)(random.NextDouble() * 2 - 1);
            for (int i = 1; i < Dimension; i++)
                x[i] = 0.05f * (float)(random.NextDouble() * 2 - 1);
            vectors.Add(x);
        }
        return vectors;
    }

    [Fact]
    public void Learn_TooFewVectors_Throws()
    {
        Assert.Throws<ArgumentException>(() => Whitening.Learn(Catalogue(Whitening.MinVectors(Dimension) - 1), Dimension));
    }

    [Fact]
    public void Apply_GivesUnitVectors()
    {
        var whitening = Whitening.Learn(Catalogue(200), Dimension);

        var y = whitening.Apply([0.3f, 0.1f, -0.2f, 0, 0.05f, 0, 0, 0.4f]);

        Assert.Equal(1, Math.Sqrt(y.Sum(v => v * v)), 5);
    }

    [Fact]
    public void Apply_DifferenceAlongTheCommonDirection_CountsLessThanAlongARareOne()
    {
        var whitening = Whitening.Learn(Catalogue(400), Dimension);
        float[] reference = [1, 0.02f, 0, 0, 0, 0, 0, 0];
        float[] commonChange = [1.3f, 0.02f, 0, 0, 0, 0, 0, 0];   // moved along axis 0, where the catalogue varies a lot
        float[] rareChange = [1, 0.32f, 0, 0, 0, 0, 0, 0];        // moved as far along axis 1, where it hardly varies

        static float Cos(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum() / MathF.Sqrt(a.Sum(x => x * x) * b.Sum(x => x * x));
        var w = whitening.Apply(reference);

        Assert.True(Cos(w, whitening.Apply(commonChange)) > Cos(w, whitening.Apply(rareChange)));
        // Raw cosine says the opposite: the whitening is what tells them apart.
        Assert.True(Cos(reference, commonChange) > 0.99f && Cos(reference, rareChange) < Cos(reference, commonChange));
    }

    [Fact]
    public void Learn_MoreThanTheSample_UsesEvenlySpacedVectorsButCountsThemAll()
    {
        var catalogue = Catalogue(Whitening.MaxSample + 10);   // stride 2: the even positions are the sample
        var even = catalogue.Where((_, i) => i % 2 == 0).ToList();

        var learned = Whitening.Learn(catalogue, Dimension);

        Assert.Equal(catalogue.Count, learned.LearnedFrom);
        float[] x = [0.5f, 0.1f, 0.2f, 0, 0, 0.3f, 0, 0];
        Assert.Equal(Whitening.Learn(even, Dimension).Apply(x), learned.Apply(x));
    }

    [Fact]
    public void FromStored_RoundTrip_WhitensAlike()
    {
        var learned = Whitening.Learn(Catalogue(100), Dimension);

        var stored = Whitening.FromStored(Dimension, learned.Mean.ToArray(), learned.Projection.ToArray(), learned.LearnedFrom);

        float[] x = [0.5f, 0.1f, 0.2f, 0, 0, 0.3f, 0, 0];
        Assert.Equal(learned.Apply(x), stored.Apply(x));
        Assert.Equal(100, stored.LearnedFrom);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(130)]   // several blocks, whitened in parallel
    public void Apply_Batch_EqualsOneByOne(int count)
    {
        var whitening = Whitening.Learn(Catalogue(100), Dimension);
        var inputs = Catalogue(count);
        var batch = new float[count * Dimension];

        whitening.Apply(inputs, batch);

        for (int v = 0; v < count; v++)
            Assert.Equal(whitening.Apply(inputs[v].Span), batch.AsSpan(v * Dimension, Dimension).ToArray());
    }
}
