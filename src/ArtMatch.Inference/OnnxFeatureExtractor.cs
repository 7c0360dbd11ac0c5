using System.Collections.Concurrent;
using ArtMatch.Core.Embedding;
using ArtMatch.Inference.Internal;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OrtException = Microsoft.ML.OnnxRuntime.OnnxRuntimeException;

namespace ArtMatch.Inference;

/// <summary>
/// An ONNX image encoder run by ONNX Runtime, described by a manifest: the model file is patched in
/// memory to expose the embedding tap and accept any input size. The input tensor is the caller's
/// memory (pinned for the run, never copied); the output is written by ORT straight into the array
/// returned once the output's shape for that input size is known. Thread-safe.
/// </summary>
public sealed class OnnxFeatureExtractor : IFeatureExtractor
{
    /// <summary>Input sizes whose output shapes are remembered; a caller cycling through more just copies.</summary>
    private const int MaxRememberedShapes = 4096;

    private static readonly RunOptions DefaultRun = new();

    private readonly OrtSessions _sessions;
    private readonly ConcurrentDictionary<(string Output, int Batch, int Height, int Width), long[]> _outputShapes = new();

    private OnnxFeatureExtractor(ModelManifest manifest, OrtSessions sessions)
    {
        Manifest = manifest;
        _sessions = sessions;
    }

    public ModelManifest Manifest { get; }

    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Loads the manifest at <paramref name="manifestPath"/> and its model file (see <see cref="ModelFiles.Resolve"/>).</summary>
    public static OnnxFeatureExtractor Open(string manifestPath, InferenceOptions? options = null)
    {
        var model = ModelFiles.Resolve(manifestPath);
        return Create(model.Manifest, model.Path, options);
    }

    /// <summary>Loads <paramref name="modelPath"/>, checks it is the file the manifest names (sha256), patches it and opens a session.</summary>
    public static OnnxFeatureExtractor Create(ModelManifest manifest, string modelPath, InferenceOptions? options = null)
    {
        ModelFiles.Verify(manifest, modelPath);
        return FromBytes(manifest, File.ReadAllBytes(modelPath), options);
    }

    /// <summary>Opens a session over model bytes already in memory (no checksum).</summary>
    public static OnnxFeatureExtractor FromBytes(ModelManifest manifest, byte[] model, InferenceOptions? options = null)
    {
        var patched = ModelPatcher.Patch(model, manifest);
        options ??= new InferenceOptions();
        if (options.IntraOpThreads < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"IntraOpThreads is {options.IntraOpThreads}; use 0 for ORT's default or a positive count.");
        var sessions = new OrtSessions(patched, options);
        try
        {
            if (!sessions.OutputNames.Contains(manifest.Embedding.Tensor))
                throw new InvalidDataException($"Model {manifest.Id}: tensor '{manifest.Embedding.Tensor}' is not an output after patching.");
            if (manifest.Classifier is { } classifier && !sessions.OutputNames.Contains(classifier.Output))
                throw new InvalidDataException($"Model {manifest.Id}: classifier output '{classifier.Output}' not found (outputs: {string.Join(", ", sessions.OutputNames)}).");
            return new OnnxFeatureExtractor(manifest, sessions);
        }
        catch
        {
            sessions.Dispose();
            throw;
        }
    }

    public FeatureMaps Extract(ReadOnlySpan<float> input, int batch, int height, int width) => Extract(input, batch, height, width, CancellationToken.None);

    /// <summary>Runs the model; a cancellation terminates the run (ONNX Runtime's RunOptions.Terminate) and throws <see cref="OperationCanceledException"/>.</summary>
    public FeatureMaps Extract(ReadOnlySpan<float> input, int batch, int height, int width, CancellationToken cancellation)
    {
        var data = RunOne(input, batch, height, width, Manifest.Embedding.Tensor, out var shape, cancellation);
        if (shape.Length == 0 || shape[0] != batch)
            throw new InvalidDataException($"Embedding tensor '{Manifest.Embedding.Tensor}' has shape [{string.Join(",", shape)}]; expected batch {batch} first.");
        if (Manifest.Embedding.Layout == "NC" || shape.Length == 2)
            return new FeatureMaps(batch, (int)shape[1], 1, 1, data);
        if (shape.Length != 4)
            throw new InvalidDataException($"Embedding tensor '{Manifest.Embedding.Tensor}' has rank {shape.Length}; expected 2 (NC) or 4.");
        if (Manifest.Embedding.Layout == "NHWC")
            return new FeatureMaps(batch, (int)shape[3], (int)shape[1], (int)shape[2], ToNchw(data, batch, (int)shape[1], (int)shape[2], (int)shape[3]));
        return new FeatureMaps(batch, (int)shape[1], (int)shape[2], (int)shape[3], data);
    }

    public float[] Classify(ReadOnlySpan<float> input, int batch, int height, int width)
    {
        var classifier = Manifest.Classifier ?? throw new InvalidOperationException($"Model {Manifest.Id} names no classifier output.");
        return RunOne(input, batch, height, width, classifier.Output, out _, CancellationToken.None);
    }

    private unsafe float[] RunOne(ReadOnlySpan<float> input, int batch, int height, int width, string output, out long[] outputShape, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        if (batch < 1 || height < 1 || width < 1)
            throw new ArgumentException($"Batch, height and width must be positive (got {batch}x{height}x{width}).");
        long expected = (long)batch * 3 * height * width;
        if (input.Length != expected)
            throw new ArgumentException($"Input has {input.Length} floats; {batch}x3x{height}x{width} needs {expected}.");
        if (!Manifest.Input.SymbolicSize && (height != Manifest.Input.Size || width != Manifest.Input.Size))
            throw new ArgumentException($"Model {Manifest.Id} takes {Manifest.Input.Size}x{Manifest.Input.Size} input only.");
        long[] shape = Manifest.Input.Layout == "NHWC" ? [batch, height, width, 3] : [batch, 3, height, width];
        var session = _sessions.For(height, width);
        var key = (output, batch, height, width);
        // A run that can be cancelled gets its own options, whose Terminate flag the cancellation sets.
        using var cancellable = cancellation.CanBeCanceled ? new RunOptions() : null;
        var options = cancellable ?? DefaultRun;
        using var terminate = cancellation.CanBeCanceled ? cancellation.Register(() => cancellable!.Terminate = true) : default;
        try
        {
            fixed (float* data = input)
            {
                using var inputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
                    shape, (nint)data, input.Length * sizeof(float));
                if (_outputShapes.TryGetValue(key, out var known))
                {
                    var result = new float[ShapeSize(known)];
                    using var outputValue = OrtValue.CreateTensorValueFromMemory(result, known);
                    session.Run(options, [Manifest.Input.Name], [inputValue], [output], [outputValue]);
                    outputShape = known;
                    return result;
                }
                // First run at this size: ORT allocates the output and tells its shape.
                using var outputs = session.Run(options, [Manifest.Input.Name], [inputValue], [output]);
                outputShape = outputs[0].GetTensorTypeAndShape().Shape;
                if (_outputShapes.Count < MaxRememberedShapes)
                    _outputShapes.TryAdd(key, outputShape);
                return outputs[0].GetTensorDataAsSpan<float>().ToArray();
            }
        }
        catch (OrtException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException("The model run was terminated: its result is no longer needed.", cancellation);
        }
        catch (OrtException e)
        {
            throw OnnxRuntimeException.From(e);
        }
    }

    private static int ShapeSize(long[] shape)
    {
        long size = 1;
        foreach (var dim in shape)
            size *= dim;
        return checked((int)size);
    }

    internal static float[] ToNchw(float[] nhwc, int n, int h, int w, int c)
    {
        var nchw = new float[nhwc.Length];
        for (int b = 0; b < n; b++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int k = 0; k < c; k++)
                        nchw[((b * c + k) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + k];
        return nchw;
    }

    public void Dispose() => _sessions.Dispose();
}
