namespace ArtMatch.Core.Embedding;

/// <summary>
/// A batch of feature maps, NCHW, float32. For an encoder whose tap is already a vector
/// (layout NC) Height and Width are 1.
/// </summary>
public sealed class FeatureMaps(int batch, int channels, int height, int width, float[] data)
{
    public int Batch { get; } = batch;
    public int Channels { get; } = channels;
    public int Height { get; } = height;
    public int Width { get; } = width;
    public float[] Data { get; } = data;

    public ReadOnlySpan<float> Item(int index)
    {
        int size = Channels * Height * Width;
        return Data.AsSpan(index * size, size);
    }
}

/// <summary>
/// The model boundary: runs an image encoder on a batch of preprocessed pixels and returns the
/// tapped feature maps (and the classifier logits when the manifest names them). Thread-safe.
/// </summary>
public interface IFeatureExtractor : IDisposable
{
    ModelManifest Manifest { get; }

    /// <summary>Runs the model. <paramref name="input"/> is laid out as the manifest's input layout, float32.</summary>
    FeatureMaps Extract(ReadOnlySpan<float> input, int batch, int height, int width);

    /// <summary>
    /// Runs the model, ended early by <paramref name="cancellation"/> where the engine can stop a run
    /// (then <see cref="OperationCanceledException"/>): what a speculation no longer needed asks.
    /// By default the run is not interrupted, only not started once cancelled.
    /// </summary>
    FeatureMaps Extract(ReadOnlySpan<float> input, int batch, int height, int width, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        return Extract(input, batch, height, width);
    }

    /// <summary>Classifier logits [batch, classes]; throws when the manifest names no classifier.</summary>
    float[] Classify(ReadOnlySpan<float> input, int batch, int height, int width);
}
