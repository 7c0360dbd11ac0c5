using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Imaging;
using ArtMatch.Inference;
using ArtMatch.Server.Hosting;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace ArtMatch.Benchmarks;

/// <summary>
/// ONNX Runtime's session options on the pipeline's own work: describing a 1 MP query photo (model
/// runs at 320, 640 and 800 px and three quarter turns at 320 px, in turn), alone and two at a time
/// (both cores busy, as the server and import are).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class SessionOptionBenchmarks
{
    private ImageDescriber _describer = null!;
    private OnnxFeatureExtractor _extractor = null!;
    private RgbImage _photo = null!;

    /// <summary>"default" is the product's choice (1 intra-op thread, one session, memory pattern off, all optimisations).</summary>
    [Params("default", "2-threads", "memory-pattern", "session-per-size", "optimise-extended", "optimise-basic")]
    public string Options { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var options = Options switch
        {
            "2-threads" => new InferenceOptions { IntraOpThreads = 2 },
            "memory-pattern" => new InferenceOptions { MemoryPattern = true },
            "session-per-size" => new InferenceOptions { SessionPerInputSize = true, MemoryPattern = true },
            "optimise-extended" => new InferenceOptions { GraphOptimization = GraphOptimizationLevel.ORT_ENABLE_EXTENDED },
            "optimise-basic" => new InferenceOptions { GraphOptimization = GraphOptimizationLevel.ORT_ENABLE_BASIC },
            _ => new InferenceOptions(),
        };
        var decoder = new VipsImageDecoder();
        _extractor = OnnxFeatureExtractor.Open(RepoLocator.ResolveManifest(null), options);
        _describer = new ImageDescriber(decoder, _extractor, new ArtMatchConfig().Describer);
        _photo = _describer.Decode(Fixtures.Jpeg1Mp);
    }

    [GlobalCleanup]
    public void Cleanup() => _extractor.Dispose();

    [Benchmark]
    public ImageDescription DescribeQuery() => _describer.Describe(_photo, includeRegions: true);

    [Benchmark]
    public void DescribeTwoAtOnce() => Parallel.Invoke(
        () => _describer.Describe(_photo, includeRegions: true),
        () => _describer.Describe(_photo, includeRegions: true));
}
