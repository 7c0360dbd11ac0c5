using ArtMatch.Core.Embedding;
using ArtMatch.Inference.Internal;
using ArtMatch.Inference.Internal.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace ArtMatch.Inference.Tests;

public class OnnxFeatureExtractorTests
{
    [Fact]
    public void RuntimeVersion_IsThePackages1_32()
    {
        Assert.StartsWith("1.32.", OnnxFeatureExtractor.RuntimeVersion);
        var loaded = File.ReadLines("/proc/self/maps").Where(l => l.Contains("/libonnxruntime.so")).Select(l => l[l.IndexOf('/')..]).Distinct().ToList();
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), Assert.Single(loaded));
    }

    [Fact]
    public void Classify_CatPhotoAt224_TopClassIsACat()
    {
        using var extractor = Model.Open();
        var input = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 224, 224), Model.Manifest.Input);

        var logits = extractor.Classify(input, 1, 224, 224);

        Assert.Equal(1000, logits.Length);
        int top = Array.IndexOf(logits, logits.Max());
        Assert.InRange(top, 281, 285); // ImageNet's domestic cats: tabby, tiger cat, Persian, Siamese, Egyptian
    }

    [Fact]
    public void Extract_CatPhotoAt224_GivesANonNegative1280By7By7Map()
    {
        using var extractor = Model.Open();
        var input = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 224, 224), Model.Manifest.Input);

        var maps = extractor.Extract(input, 1, 224, 224);

        Assert.Equal((1, 1280, 7, 7), (maps.Batch, maps.Channels, maps.Height, maps.Width));
        Assert.Equal(1280 * 49, maps.Data.Length);
        // The tap follows a ReLU6: activations lie in [0, 6] and the photo lights up some of them.
        Assert.All(maps.Data, v => Assert.InRange(v, 0f, 6f));
        Assert.Contains(maps.Data, v => v > 0.5f);
    }

    [Fact]
    public void Extract_320By256Photo_GivesA1280By8By10MapBecauseSizeIsSymbolic()
    {
        using var extractor = Model.Open();
        var input = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 320, 256), Model.Manifest.Input);

        var maps = extractor.Extract(input, 1, 256, 320);

        Assert.Equal((1, 1280, 8, 10), (maps.Batch, maps.Channels, maps.Height, maps.Width));
    }

    [Fact]
    public void Extract_BatchOfTwo_EqualsEachItemRunAlone()
    {
        using var extractor = Model.Open();
        var first = Model.Noise(1, 256, 320, 2);
        var second = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 320, 256), Model.Manifest.Input);

        var batch = extractor.Extract([.. first, .. second], 2, 256, 320);

        Assert.Equal((2, 1280, 8, 10), (batch.Batch, batch.Channels, batch.Height, batch.Width));
        AssertClose(extractor.Extract(first, 1, 256, 320).Data, batch.Item(0).ToArray());
        AssertClose(extractor.Extract(second, 1, 256, 320).Data, batch.Item(1).ToArray());
    }

    [Fact]
    public void Extract_SameInputTwiceAndOnFourThreads_IsBitwiseEqual()
    {
        using var extractor = Model.Open();
        var input = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 224, 224), Model.Manifest.Input);
        var reference = extractor.Extract(input, 1, 224, 224).Data;

        var results = new float[4][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = extractor.Extract(input, 1, 224, 224).Data);

        Assert.Equal(reference, extractor.Extract(input, 1, 224, 224).Data);
        Assert.All(results, r => Assert.Equal(reference, r));
    }

    [Fact]
    public void Extract_CancelledBeforeOrDuringRuns_ThrowsOperationCanceledAndTheSessionStillWorks()
    {
        using var extractor = Model.Open();
        var input = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 320, 256), Model.Manifest.Input);
        var reference = extractor.Extract(input, 1, 256, 320).Data;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => extractor.Extract(input, 1, 256, 320, cancelled.Token));

        // Runs one after another until cancelled: the cancellation lands before a run or inside one
        // (RunOptions.Terminate); either way the caller sees a cancellation, never an engine error.
        using var stop = new CancellationTokenSource();
        int runs = 0;
        var error = Record.Exception((Action)(() =>
        {
            while (true)
            {
                extractor.Extract(input, 1, 256, 320, stop.Token);
                if (Interlocked.Increment(ref runs) == 1)
                    stop.CancelAfter(1);
            }
        }));

        Assert.IsType<OperationCanceledException>(error, exactMatch: false);
        Assert.Equal(reference, extractor.Extract(input, 1, 256, 320).Data);
        Assert.Equal(reference, extractor.Extract(input, 1, 256, 320, CancellationToken.None).Data);
    }

    [Fact]
    public void Classify_PatchedModel_GivesTheUnpatchedModelsLogits()
    {
        using var extractor = Model.Open();
        using var upstream = new InferenceSession(File.ReadAllBytes(Model.File));
        var input = TestImages.Tensor(TestImages.CentreCrop(TestImages.Cat, 224, 224), Model.Manifest.Input);

        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
        using var outputs = upstream.Run(new RunOptions(), ["input"], [inputValue], ["output"]);
        var expected = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var actual = extractor.Classify(input, 1, 224, 224);

        AssertClose(expected, actual);
    }

    [Fact]
    public void Patch_ParseAndReserialise_KeepsEveryUnknownField()
    {
        var original = File.ReadAllBytes(Model.File);

        var reserialised = ModelProto.Parser.ParseFrom(original).ToByteArray();

        // Known fields are written before unknown ones, so bytes may reorder, but none is lost or added.
        Assert.Equal(original.Length, reserialised.Length);
        Assert.Equal(reserialised, ModelProto.Parser.ParseFrom(reserialised).ToByteArray());
    }

    [Fact]
    public void Patch_Model_AddsTheTapOutputAndMakesHeightAndWidthSymbolic()
    {
        var patched = ModelProto.Parser.ParseFrom(ModelPatcher.Patch(File.ReadAllBytes(Model.File), Model.Manifest));

        var graph = patched.Graph;
        Assert.Equal(["output", "627"], graph.Output.Select(o => o.Name));
        Assert.Equal(1, graph.Output[1].Type.TensorType.ElemType);
        var dims = graph.Input.Single().Type.TensorType.Shape.Dim;
        Assert.Equal("batch_size", dims[0].DimParam); // already symbolic upstream: name kept
        Assert.Equal(3, dims[1].DimValue);
        Assert.Equal(["height", "width"], new[] { dims[2].DimParam, dims[3].DimParam });
    }

    [Fact]
    public void Patch_Twice_EqualsPatchOnce()
    {
        var once = ModelPatcher.Patch(File.ReadAllBytes(Model.File), Model.Manifest);

        Assert.Equal(once, ModelPatcher.Patch(once, Model.Manifest));
    }

    [Fact]
    public void Extract_FixedSizeManifestAndOtherSize_ThrowsArgumentException()
    {
        var manifest = Model.Manifest with { Input = Model.Manifest.Input with { SymbolicSize = false } };
        using var extractor = OnnxFeatureExtractor.FromBytes(manifest, File.ReadAllBytes(Model.File));

        var error = Assert.Throws<ArgumentException>(() => extractor.Extract(Model.Noise(1, 256, 320, 1), 1, 256, 320));

        Assert.Contains("224x224", error.Message);
    }

    [Fact]
    public void Extract_WrongInputLength_ThrowsArgumentExceptionNamingTheSizes()
    {
        using var extractor = Model.Open();

        var error = Assert.Throws<ArgumentException>(() => extractor.Extract(new float[100], 1, 224, 224));

        Assert.Contains("1x3x224x224", error.Message);
    }

    [Fact]
    public void Extract_ZeroBatch_ThrowsArgumentException()
    {
        using var extractor = Model.Open();

        Assert.Throws<ArgumentException>(() => extractor.Extract([], 0, 224, 224));
    }

    [Fact]
    public void FromBytes_TruncatedFile_ThrowsInvalidDataExceptionSayingItIsNotOnnx()
    {
        var bytes = File.ReadAllBytes(Model.File)[..5000];

        var error = Assert.Throws<InvalidDataException>(() => OnnxFeatureExtractor.FromBytes(Model.Manifest, bytes));

        Assert.Contains("not an ONNX protobuf", error.Message);
    }

    [Fact]
    public void FromBytes_ModelWithoutNodesOrOpsets_ThrowsOnnxRuntimeExceptionWithOrtsMessage()
    {
        // A well-formed protobuf ORT must reject: the graph's interface without its body or version.
        var upstream = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Model.File)).Graph;
        var hollow = new ModelProto { Graph = new GraphProto { Input = { upstream.Input }, Output = { upstream.Output } } };

        var error = Assert.Throws<ArtMatch.Inference.OnnxRuntimeException>(() => OnnxFeatureExtractor.FromBytes(Model.Manifest, hollow.ToByteArray()));

        Assert.NotEqual(0, error.ErrorCode);
        Assert.IsType<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(error.InnerException);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void FromBytes_TapNoNodeProduces_ThrowsOnnxRuntimeExceptionNamingIt()
    {
        var manifest = Model.Manifest with { Embedding = Model.Manifest.Embedding with { Tensor = "no-such-tensor" } };

        var error = Assert.Throws<ArtMatch.Inference.OnnxRuntimeException>(() => OnnxFeatureExtractor.FromBytes(manifest, File.ReadAllBytes(Model.File)));

        Assert.Contains("no-such-tensor", error.Message);
    }

    [Fact]
    public void FromBytes_UnknownInputName_ThrowsListingTheModelsInputs()
    {
        var manifest = Model.Manifest with { Input = Model.Manifest.Input with { Name = "pixels" } };

        var error = Assert.Throws<InvalidDataException>(() => OnnxFeatureExtractor.FromBytes(manifest, File.ReadAllBytes(Model.File)));

        Assert.Contains("'pixels'", error.Message);
        Assert.Contains("input", error.Message);
    }

    [Fact]
    public void Classify_ManifestWithoutClassifier_ThrowsInvalidOperationException()
    {
        using var extractor = OnnxFeatureExtractor.FromBytes(Model.Manifest with { Classifier = null }, File.ReadAllBytes(Model.File));

        Assert.Throws<InvalidOperationException>(() => extractor.Classify(Model.Noise(1, 224, 224, 1), 1, 224, 224));
    }

    [Fact]
    public void ToNchw_InterleavedTensor_MovesChannelsInFront()
    {
        // N=1, H=1, W=2, C=3: pixels (1,2,3) and (4,5,6).
        float[] nhwc = [1, 2, 3, 4, 5, 6];

        Assert.Equal([1f, 4, 2, 5, 3, 6], OnnxFeatureExtractor.ToNchw(nhwc, 1, 1, 2, 3));
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f + 1e-4f * MathF.Abs(expected[i]), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }
}
