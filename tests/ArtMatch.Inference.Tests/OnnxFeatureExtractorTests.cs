using ArtMatch.Core.Embedding;

namespace ArtMatch.Inference.Tests;

public class OnnxFeatureExtractorTests
{
    [Fact]
    public void Extract_224Input_GivesThe1280By7By7FeatureMap()
    {
        using var extractor = Model.Open();

        var maps = extractor.Extract(Model.Noise(1, 224, 224, 1), 1, 224, 224);

        Assert.Equal((1, 1280, 7, 7), (maps.Batch, maps.Channels, maps.Height, maps.Width));
        Assert.Equal(1280 * 49, maps.Data.Length);
        Assert.Contains(maps.Data, v => v != 0);
    }

    [Fact]
    public void Extract_OtherSizeAndBatch_RunsBecauseSizeIsSymbolic()
    {
        using var extractor = Model.Open();

        var maps = extractor.Extract(Model.Noise(2, 256, 320, 2), 2, 256, 320);

        Assert.Equal((2, 1280, 8, 10), (maps.Batch, maps.Channels, maps.Height, maps.Width));
    }

    [Fact]
    public void Extract_SameInputTwiceAndOnFourThreads_IsBitwiseEqual()
    {
        using var extractor = Model.Open();
        var input = Model.Noise(1, 224, 224, 3);
        var reference = extractor.Extract(input, 1, 224, 224).Data;

        var results = new float[4][];
        Parallel.For(0, 4, i => results[i] = extractor.Extract(input, 1, 224, 224).Data);

        Assert.Equal(reference, extractor.Extract(input, 1, 224, 224).Data);
        Assert.All(results, r => Assert.Equal(reference, r));
    }

    [Fact]
    public void Classify_Batch_GivesThousandLogitsPerItem()
    {
        using var extractor = Model.Open();

        var logits = extractor.Classify(Model.Noise(2, 224, 224, 4), 2, 224, 224);

        Assert.Equal(2000, logits.Length);
    }

    [Fact]
    public void Extract_WrongInputLength_ThrowsArgumentExceptionNamingTheSizes()
    {
        using var extractor = Model.Open();

        var error = Assert.Throws<ArgumentException>(() => extractor.Extract(new float[100], 1, 224, 224));

        Assert.Contains("1x3x224x224", error.Message);
    }

    [Fact]
    public void FromBytes_CorruptModel_ThrowsWithAClearMessage()
    {
        var bytes = File.ReadAllBytes(Model.File)[..5000];

        var error = Assert.ThrowsAny<Exception>(() => OnnxFeatureExtractor.FromBytes(Model.Manifest, bytes));

        Assert.True(error is InvalidDataException or OnnxRuntimeException, error.GetType().Name);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void FromBytes_ValidProtobufButNotAModel_ThrowsOnnxRuntimeExceptionWithOrtMessage()
    {
        // A protobuf with a graph holding only the input: ORT itself refuses it (the tap is no node's output).
        var manifest = Model.Manifest with { Embedding = Model.Manifest.Embedding with { Tensor = "no-such-tensor" } };

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxFeatureExtractor.FromBytes(manifest, File.ReadAllBytes(Model.File)));

        Assert.Contains("no-such-tensor", error.Message);
    }

    [Fact]
    public void Create_ChecksumMismatch_ThrowsNamingSetup()
    {
        var manifest = Model.Manifest with { Sha256 = new string('0', 64) };

        var error = Assert.Throws<InvalidDataException>(() => OnnxFeatureExtractor.Create(manifest, Model.File));

        Assert.Contains("setup.sh", error.Message);
    }

    [Fact]
    public void Patch_RoundTrip_KeepsEveryUnknownFieldSoOutputsAreUnchanged()
    {
        // Patching twice must equal patching once: nothing is lost or duplicated in the round trip.
        var original = File.ReadAllBytes(Model.File);
        var once = Internal.ModelPatcher.Patch(original, Model.Manifest);
        var twice = Internal.ModelPatcher.Patch(once, Model.Manifest);

        Assert.Equal(once, twice);
        Assert.True(once.Length >= original.Length);
    }
}
