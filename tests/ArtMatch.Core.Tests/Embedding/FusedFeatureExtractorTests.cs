using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Tests.Embedding;

public class FusedFeatureExtractorTests
{
    // MobileNetV2's input (RGB, 0..1, ImageNet mean/std) and ResNet18's from ML.NET (BGR, 0..255 less the means).
    private static readonly ModelInput Rgb = new() { Name = "a", SymbolicSize = true, Channels = "RGB", Scale = 1f / 255f, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
    private static readonly ModelInput Bgr = new() { Name = "b", SymbolicSize = true, Channels = "BGR", Scale = 1f, Mean = [103f, 116f, 123f], Std = [1f, 1f, 1f] };

    [Fact]
    public void Extract_TwoEncoders_JoinsTheirMapsEachAtUnitMeanCellNormAndTheSecondWeighted()
    {
        // 2 cells: the first encoder's cells have norms 3 and 5 (mean 4), the second's 10 and 30 (mean 20).
        var first = new Fixed("a", Rgb, channels: 2, [3f, 0f, /* channel 2 */ 0f, 5f]);
        var second = new Fixed("b", Bgr, channels: 1, [10f, 30f]);
        using var fused = new FusedFeatureExtractor(first, second, weight: 2f);

        var maps = fused.Extract(new float[3 * 1 * 2], 1, 1, 2);

        Assert.Equal((1, 3, 1, 2), (maps.Batch, maps.Channels, maps.Height, maps.Width));
        Assert.Equal([0.75f, 0f, 0f, 1.25f, 1f, 3f], maps.Data);
        Assert.Equal("a+b@2", fused.Manifest.Id);
        Assert.Equal(Rgb, fused.Manifest.Input);
    }

    [Fact]
    public void Extract_InputForTheFirst_SecondGetsTheSamePixelsInItsOwnOrderAndScale()
    {
        var first = new Fixed("a", Rgb, channels: 1, [1f]);
        var second = new Fixed("b", Bgr, channels: 1, [1f]);
        using var fused = new FusedFeatureExtractor(first, second, weight: 1f);
        // One pixel R=200, G=100, B=50 as the first model's tensor.
        byte[] pixel = [200, 100, 50];
        var input = new float[3];
        for (int c = 0; c < 3; c++)
            input[c] = (pixel[c] * Rgb.Scale - Rgb.Mean[c]) / Rgb.Std[c];

        fused.Extract(input, 1, 1, 1);

        Assert.Equal(input, first.LastInput);
        var seen = second.LastInput!;
        Assert.Equal(50f - 103f, seen[0], 3);   // B
        Assert.Equal(100f - 116f, seen[1], 3);  // G
        Assert.Equal(200f - 123f, seen[2], 3);  // R
    }

    [Fact]
    public void Extract_MapsOfOtherCells_Throws()
    {
        var first = new Fixed("a", Rgb, channels: 1, [1f, 1f]);
        var second = new Fixed("b", Bgr, channels: 2, [1f, 1f]);
        using var fused = new FusedFeatureExtractor(first, second, weight: 1f);

        Assert.Throws<InvalidDataException>(() => fused.Extract(new float[6], 1, 1, 2));
    }

    [Fact]
    public void Create_FixedSizeModel_IsRefused()
    {
        var fixedSize = Rgb with { SymbolicSize = false };

        Assert.Throws<ArgumentException>(() => new FusedFeatureExtractor(new Fixed("a", fixedSize, 1, [1f]), new Fixed("b", Bgr, 1, [1f]), 1f));
    }

    /// <summary>An encoder whose map is given: cells = values / channels, in one row.</summary>
    private sealed class Fixed(string id, ModelInput input, int channels, float[] map) : IFeatureExtractor
    {
        public ModelManifest Manifest { get; } = new() { Id = id, File = id + ".onnx", Sha256 = "", Input = input, Embedding = new EmbeddingTap { Tensor = "t" } };

        public float[]? LastInput { get; private set; }

        public FeatureMaps Extract(ReadOnlySpan<float> input, int batch, int height, int width)
        {
            LastInput = input.ToArray();
            return new FeatureMaps(1, channels, 1, map.Length / channels, (float[])map.Clone());
        }

        public float[] Classify(ReadOnlySpan<float> input, int batch, int height, int width) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
