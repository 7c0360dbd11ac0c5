using System.Numerics.Tensors;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>The real engines wired together: libvips decoding into ONNX Runtime, on dev-set photos.</summary>
public sealed class EngineTests : IDisposable
{
    private readonly ArtMatchEngine _engine = ArtMatchEngine.Create(new ArtMatchConfig());

    public void Dispose() => _engine.Dispose();

    private static byte[] Dev(string objectId) => File.ReadAllBytes(RepoPaths.DevFile($"catalog/{objectId}/1.jpg"));

    [Fact]
    public void Classifier_CatPhoto_TopClassIsACat()
    {
        var manifest = _engine.Describer.Manifest;
        var image = _engine.Decoder.Decode(Dev("sk-chelsea"), new DecodeOptions(new ImageSize(224, 224), ResizeFit.CoverCentreCrop));
        var input = new float[3 * 224 * 224];
        TensorBuilder.Fill(image, manifest.Input, input);

        var logits = _engine.Extractor.Classify(input, 1, 224, 224);

        // ImageNet-1k classes 281-285: tabby, tiger cat, Persian, Siamese, Egyptian cat.
        Assert.InRange(TensorPrimitives.IndexOfMax(logits), 281, 285);
    }

    [Fact]
    public void Embed_SamePhotoTwiceAndOnFourThreads_IsBitwiseIdentical()
    {
        var photo = Dev("sk-coffee");
        var reference = _engine.Describer.Embed(photo);

        var parallel = new float[4][];
        Parallel.For(0, 4, i => parallel[i] = _engine.Describer.Embed(photo));

        Assert.Equal(reference, _engine.Describer.Embed(photo));
        Assert.All(parallel, v => Assert.Equal(reference, v));
        Assert.Equal(1280, reference.Length);
        Assert.Equal(1f, TensorPrimitives.Norm(reference), 3);
    }

    [Fact]
    public void Describe_RegionsOnlyWhenAsked_EachWithItsAreaAndCloseUpFeatures()
    {
        var describer = _engine.Describer;
        var picture = describer.Decode(Dev("gc-painting-hokusai-great-wave"));

        var plain = describer.Describe(picture, includeRegions: false);
        var query = describer.Describe(picture, includeRegions: true);

        Assert.Empty(plain.Regions);
        Assert.Equal(plain.Global, query.Global);
        Assert.True(query.Regions.Count > 20, $"{query.Regions.Count} regions");
        var closeUps = Enumerable.Range(0, query.Regions.Count).Select(query.RegionLocal!).ToList();
        Assert.All(closeUps, c => Assert.True(c.Area.X >= 0 && c.Area.Y >= 0 && c.Area.Right <= picture.Width && c.Area.Bottom <= picture.Height, $"{c.Area}"));
        // The first (smallest) region's close-up covers part of the picture, with more cells than the
        // whole picture's local features give that part.
        var (features, area) = closeUps[0];
        Assert.True(area.Width * area.Height < picture.Width * picture.Height / 2, $"{area}");
        Assert.True(features.Count > query.Local!.Count * area.Width * area.Height / (picture.Width * picture.Height), $"{features.Count} cells");
    }

    [Fact]
    public void Embed_EditedCopies_AreFarCloserThanUnrelatedPhotos()
    {
        var photo = Dev("gc-painting-hokusai-great-wave");
        var describer = _engine.Describer;
        var original = describer.Embed(photo);
        var decoded = describer.Decode(photo);
        var cropped = ImageOps.Crop(decoded, new PixelRect(decoded.Width / 10, decoded.Height / 10, decoded.Width * 8 / 10, decoded.Height * 8 / 10));
        var variants = new[]
        {
            describer.Describe(Rotate90(decoded), includeRegions: false).Global,
            describer.Describe(cropped, includeRegions: false).Global,
            describer.Embed(_engine.Decoder.ThumbnailJpeg(photo, 100_000, quality: 30)),
        };
        var unrelated = new[] { "sk-chelsea", "sk-coffee", "sk-astronaut", "gc-painting-mona-lisa", "tux-object-spacewalk" }
            .Select(id => describer.Embed(Dev(id)));

        float worstVariant = variants.Min(v => TensorPrimitives.Dot(original, v));
        float bestUnrelated = unrelated.Max(v => TensorPrimitives.Dot(original, v));

        Assert.True(worstVariant > bestUnrelated + 0.05f, $"edited copies {worstVariant:F3} vs unrelated {bestUnrelated:F3}");
    }

    [Fact]
    public void Embed_JpegWithExifOrientation6_EmbedsLikeItsUprightTwin()
    {
        var photo = Dev("gc-painting-mona-lisa");
        var upright = Rotate90(_engine.Describer.Decode(photo));
        byte[] exif =
        [
            0xFF, 0xE1, 0x00, 0x22, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'M', (byte)'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01,
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        byte[] tagged = [.. photo[..2], .. exif, .. photo[2..]];

        float similarity = TensorPrimitives.Dot(_engine.Describer.Embed(tagged), _engine.Describer.Describe(upright, includeRegions: false).Global);
        float unrotated = TensorPrimitives.Dot(_engine.Describer.Embed(tagged), _engine.Describer.Embed(photo));

        Assert.True(similarity > 0.99f, $"tagged vs upright twin {similarity:F4}");
        Assert.True(similarity > unrotated);
    }

    /// <summary>90 degrees clockwise, as EXIF orientation 6 asks a viewer to do.</summary>
    private static RgbImage Rotate90(RgbImage source)
    {
        int w = source.Width, h = source.Height;
        var pixels = new byte[source.Pixels.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Array.Copy(source.Pixels, (y * w + x) * 3, pixels, (x * h + (h - 1 - y)) * 3, 3);
        return new RgbImage(h, w, pixels);
    }
}
