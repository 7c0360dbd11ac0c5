using ArtMatch.Core.Embedding;
using ArtMatch.TestSupport;

namespace ArtMatch.Inference.Tests;

internal static class Model
{
    public static ModelManifest Manifest { get; } = ModelManifest.Load(RepoPaths.DefaultManifest);

    public static string File => Path.Combine(RepoPaths.ModelDir, Manifest.File);

    public static OnnxFeatureExtractor Open(int threads = 1) => OnnxFeatureExtractor.Create(Manifest, File, new InferenceOptions { IntraOpThreads = threads });

    /// <summary>A deterministic pseudo-random input in the model's normalised range.</summary>
    public static float[] Noise(int batch, int height, int width, int seed)
    {
        var random = new Random(seed);
        var data = new float[batch * 3 * height * width];
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)(random.NextDouble() * 4 - 2);
        return data;
    }
}
