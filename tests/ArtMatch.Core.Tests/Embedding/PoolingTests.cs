using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Tests.Embedding;

public class PoolingTests
{
    [Fact]
    public void Gem_P1_IsTheWindowMean()
    {
        // Two channels, 2x2 map.
        float[] map = [1, 2, 3, 4, /* channel 1 */ 0, 0, 8, 8];
        var result = new float[2];
        Pooling.Gem(map, 2, 2, 2, 1f, 0, 2, 0, 2, result);
        Assert.Equal(2.5f, result[0], 4);
        Assert.Equal(4f, result[1], 4);
    }

    [Fact]
    public void Gem_P3_LiesBetweenMeanAndMax()
    {
        float[] map = [1, 2, 3, 4];
        var result = new float[1];
        Pooling.Gem(map, 1, 2, 2, 3f, 0, 2, 0, 2, result);
        Assert.Equal(MathF.Cbrt((1 + 8 + 27 + 64) / 4f), result[0], 4);
        Assert.InRange(result[0], 2.5f, 4f);
    }

    [Fact]
    public void Gem_Window_UsesOnlyThatWindow()
    {
        float[] map = [1, 2, 3, 4];
        var result = new float[1];
        Pooling.Gem(map, 1, 2, 2, 1f, 1, 2, 1, 2, result);
        Assert.Equal(4f, result[0], 4);
    }

    [Fact]
    public void Gem_WindowOutside_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Pooling.Gem(new float[4], 1, 2, 2, 3f, 0, 3, 0, 2, new float[1]));

    [Fact]
    public void L2Normalize_GivesUnitLength_AndLeavesZeroAlone()
    {
        float[] v = [3, 4];
        Pooling.L2Normalize(v);
        Assert.Equal(0.6f, v[0], 5);
        Assert.Equal(0.8f, v[1], 5);
        float[] zero = [0, 0];
        Pooling.L2Normalize(zero);
        Assert.Equal([0f, 0f], zero);
    }

    [Theory]
    [InlineData(3f)]
    [InlineData(1f)]
    [InlineData(2.5f)]
    public void WindowPooler_EveryWindow_EqualsDirectGem(float p)
    {
        const int channels = 5, height = 7, width = 9;
        var random = new Random(11);
        // Post-ReLU6 maps: mostly small positives, some zeros.
        var map = Enumerable.Range(0, channels * height * width).Select(_ => random.Next(4) == 0 ? 0f : (float)(random.NextDouble() * 6)).ToArray();
        using var pooler = new WindowPooler(map, channels, height, width, p);
        var fast = new float[channels];
        var direct = new float[channels];

        for (int y0 = 0; y0 < height; y0++)
        for (int y1 = y0 + 1; y1 <= height; y1++)
        for (int x0 = 0; x0 < width; x0++)
        for (int x1 = x0 + 1; x1 <= width; x1++)
        {
            pooler.Pool(y0, y1, x0, x1, fast);
            Pooling.Gem(map, channels, height, width, p, y0, y1, x0, x1, direct);
            for (int c = 0; c < channels; c++)
                Assert.Equal(direct[c], fast[c], 1e-5 * Math.Max(1, Math.Abs(direct[c])));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => pooler.Pool(0, height + 1, 0, 1, fast));
    }
}
