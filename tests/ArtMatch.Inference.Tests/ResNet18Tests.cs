using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.TestSupport;

namespace ArtMatch.Inference.Tests;

/// <summary>
/// The second encoder, used from its manifest alone (models/resnet18.json: the file setup copies out of
/// the NuGet package, BGR input less the mean, the stride-32 tap): the real model on real pictures.
/// </summary>
[Collection(ModelFilesCollection.Name)]
public sealed class ResNet18Tests
{
    private static string ManifestPath => Path.Combine(RepoPaths.ManifestDir, "resnet18.json");

    private static OnnxFeatureExtractor Open() => OnnxFeatureExtractor.Open(ManifestPath);

    [Fact]
    public void Open_Manifest_TapsA512ChannelStride32MapAtAnySize()
    {
        using var extractor = Open();
        var manifest = extractor.Manifest;
        Assert.Equal(("resnet18-mlnet-0.24", "BGR"), (manifest.Id, manifest.Input.Channels));

        var at224 = extractor.Extract(TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 224, 224), manifest.Input), 1, 224, 224);
        var at320 = extractor.Extract(TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 320, 256), manifest.Input), 1, 256, 320);
        // Smaller than the 7x7 cells the package's average pool needs: runs because that head is dropped.
        var at64 = extractor.Extract(Model.Noise(1, 64, 64, 3), 1, 64, 64);

        Assert.Equal((512, 7, 7), (at224.Channels, at224.Height, at224.Width));
        Assert.Equal((512, 8, 10), (at320.Channels, at320.Height, at320.Width));
        Assert.Equal((512, 2, 2), (at64.Channels, at64.Height, at64.Width));
        // After a ReLU: non-negative, and the photo lights some cells up.
        Assert.All(at224.Data, v => Assert.True(v >= 0f));
        Assert.Contains(at224.Data, v => v > 1f);
    }

    [Fact]
    public void Describe_RealPictures_UnitLengthDeterministicAndNearerToItsOwnEditedCopy()
    {
        using var extractor = Open();
        var describer = new ImageDescriber(new NoDecoder(), extractor, new DescriberSettings());
        var cat = TestImages.CentreCrop(TestImages.Cat, 320, 256);
        var edited = Darker(TestImages.CentreCrop(TestImages.Cat, 288, 224), 0.8);
        var other = TestImages.CentreCrop(RepoPaths.DevFile("catalog/gc-painting-hokusai-bridge/1.jpg"), 320, 256);

        var vector = describer.Describe(cat, includeRegions: false).Global;
        var again = describer.Describe(cat, includeRegions: false).Global;
        var ofEdited = describer.Describe(edited, includeRegions: false).Global;
        var ofOther = describer.Describe(other, includeRegions: false).Global;

        Assert.Equal(512, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
        Assert.Equal(vector, again);
        double toEdited = Cosine(vector, ofEdited), toOther = Cosine(vector, ofOther);
        Assert.True(toEdited > toOther, $"cosine to its edited copy {toEdited:F3}, to another picture {toOther:F3}");
        Assert.True(Cosine(ofEdited, ofOther) < toEdited);
    }

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    /// <summary>Another cut of the photo, every pixel darkened (an edited copy as a phone or a dealer makes one).</summary>
    private static RgbImage Darker(RgbImage image, double factor)
    {
        var pixels = (byte[])image.Pixels.Clone();
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)Math.Round(pixels[i] * factor);
        return new RgbImage(image.Width, image.Height, pixels);
    }

    /// <summary>The pictures come decoded (python3-pil, as the other tests here); the describer is never asked to decode.</summary>
    private sealed class NoDecoder : IImageDecoder
    {
        public ImageInfo Probe(ReadOnlySpan<byte> encoded) => throw new NotSupportedException("These tests hand the describer decoded pictures.");

        public RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeOptions options) => throw new NotSupportedException("These tests hand the describer decoded pictures.");
    }
}
