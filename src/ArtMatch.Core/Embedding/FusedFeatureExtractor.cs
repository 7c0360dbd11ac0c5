using System.Buffers;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// Two encoders as one (<see cref="Configuration.FusionSettings"/>): both run on the same picture and
/// their feature maps are joined channel by channel (the first's channels, then the second's), so the
/// global vector, the regions and the local features all carry both. Both maps must have the same cells
/// (stride 32 for both at every size: MobileNetV2 and ResNet18 do). On each picture, each map is first
/// divided by its mean cell norm, so that neither encoder outweighs the other by the scale of its
/// activations (every vector is L2-normalised after pooling, so that scale would otherwise decide the
/// mix); the second's is then multiplied by the weight. The input comes laid out for the first model;
/// the second's is made from it per element (the inverse of the first's normalisation, then the
/// second's). Pooling follows the first manifest for all channels. Thread-safe as both encoders are.
/// </summary>
public sealed class FusedFeatureExtractor : IFeatureExtractor
{
    private readonly IFeatureExtractor _first;
    private readonly IFeatureExtractor _second;
    private readonly float _weight;

    /// <summary>Per channel of the second model's input: multiply and add applied to the first's input channel <see cref="_source"/>.</summary>
    private readonly float[] _multiply = new float[3], _add = new float[3];
    private readonly int[] _source = new int[3];

    public FusedFeatureExtractor(IFeatureExtractor first, IFeatureExtractor second, float weight)
    {
        if (!(weight > 0 && float.IsFinite(weight)))
            throw new ArgumentOutOfRangeException(nameof(weight), $"The second encoder's weight is {weight}; it must be positive.");
        ModelManifest a = first.Manifest, b = second.Manifest;
        if (a.Input.Layout != "NCHW" || b.Input.Layout != "NCHW" || a.Embedding.Layout != "NCHW" || b.Embedding.Layout != "NCHW")
            throw new ArgumentException($"Fusing {a.Id} with {b.Id}: both inputs and both taps must be NCHW feature maps.");
        if (!a.Input.SymbolicSize || !b.Input.SymbolicSize)
            throw new ArgumentException($"Fusing {a.Id} with {b.Id}: both must run at any size (input.symbolic_size).");
        _first = first;
        _second = second;
        _weight = weight;
        for (int c = 0; c < 3; c++)
        {
            // Channel c of the second's input holds colour rgb; the first's input holds it in channel _source[c].
            int rgb = b.Input.Channels == "BGR" ? 2 - c : c;
            int source = a.Input.Channels == "BGR" ? 2 - rgb : rgb;
            // pixel = (x * stdA + meanA) / scaleA; y = (pixel * scaleB - meanB) / stdB.
            double toPixel = a.Input.Std[source] / a.Input.Scale, pixelOffset = a.Input.Mean[source] / a.Input.Scale;
            _source[c] = source;
            _multiply[c] = (float)(toPixel * b.Input.Scale / b.Input.Std[c]);
            _add[c] = (float)((pixelOffset * b.Input.Scale - b.Input.Mean[c]) / b.Input.Std[c]);
        }
        string id = $"{a.Id}+{b.Id}" + (weight == 1f ? "" : FormattableString.Invariant($"@{weight:0.###}"));
        Manifest = a with { Id = id };
    }

    /// <summary>The first manifest, under an id naming both encoders (and the weight), so stored vectors never mix.</summary>
    public ModelManifest Manifest { get; }

    public FeatureMaps Extract(ReadOnlySpan<float> input, int batch, int height, int width)
    {
        var first = _first.Extract(input, batch, height, width);
        var second = ExtractSecond(input, batch, height, width);
        if (first.Batch != second.Batch || first.Height != second.Height || first.Width != second.Width)
            throw new InvalidDataException($"Fused encoders give maps of other cells at {width}x{height}: "
                + $"{first.Height}x{first.Width} ({_first.Manifest.Id}) and {second.Height}x{second.Width} ({_second.Manifest.Id}).");
        int channels = first.Channels + second.Channels, plane = first.Height * first.Width;
        var data = new float[batch * channels * plane];
        for (int i = 0; i < batch; i++)
        {
            var item = data.AsSpan(i * channels * plane, channels * plane);
            Scaled(first.Item(i), first.Channels, plane, 1f, item[..(first.Channels * plane)]);
            Scaled(second.Item(i), second.Channels, plane, _weight, item[(first.Channels * plane)..]);
        }
        return new FeatureMaps(batch, channels, first.Height, first.Width, data);
    }

    public float[] Classify(ReadOnlySpan<float> input, int batch, int height, int width) => _first.Classify(input, batch, height, width);

    private FeatureMaps ExtractSecond(ReadOnlySpan<float> input, int batch, int height, int width)
    {
        int plane = height * width;
        var pooled = ArrayPool<float>.Shared.Rent(input.Length);
        try
        {
            var converted = pooled.AsSpan(0, input.Length);
            for (int i = 0; i < batch; i++)
            {
                for (int c = 0; c < 3; c++)
                {
                    var from = input.Slice((i * 3 + _source[c]) * plane, plane);
                    var to = converted.Slice((i * 3 + c) * plane, plane);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(from, _multiply[c], to);
                    System.Numerics.Tensors.TensorPrimitives.Add(to, _add[c], to);
                }
            }
            return _second.Extract(converted, batch, height, width);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pooled);
        }
    }

    /// <summary>Writes <paramref name="map"/> times weight over its mean cell norm (an all-zero map stays zero).</summary>
    internal static void Scaled(ReadOnlySpan<float> map, int channels, int plane, float weight, Span<float> destination)
    {
        var squares = ArrayPool<float>.Shared.Rent(plane);
        try
        {
            var norms = squares.AsSpan(0, plane);
            norms.Clear();
            for (int c = 0; c < channels; c++)
            {
                var channel = map.Slice(c * plane, plane);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(channel, channel, norms, norms);
            }
            System.Numerics.Tensors.TensorPrimitives.Sqrt(norms, norms);
            float mean = System.Numerics.Tensors.TensorPrimitives.Sum(norms) / plane;
            System.Numerics.Tensors.TensorPrimitives.Multiply(map, mean > 0 ? weight / mean : 0f, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(squares);
        }
    }

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }
}
