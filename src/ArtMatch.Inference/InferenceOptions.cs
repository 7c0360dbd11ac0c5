using Microsoft.ML.OnnxRuntime;

namespace ArtMatch.Inference;

/// <summary>How ONNX Runtime runs the model. The defaults are the measured choice (benchmarks/RESULTS.md).</summary>
public sealed record InferenceOptions
{
    /// <summary>
    /// Threads ORT uses inside one Run. ArtMatch parallelises across images (one per core), so one
    /// thread per Run avoids oversubscribing; a single-photo server may prefer the core count.
    /// 0 lets ORT pick (one per physical core).
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>
    /// ORT's memory pattern: buffers planned from the first run of a shape and reused. The pipeline
    /// alternates input sizes, and a single session replans on every change, so it is off unless
    /// <see cref="SessionPerInputSize"/> gives each size its own plan.
    /// </summary>
    public bool MemoryPattern { get; init; }

    /// <summary>One session per input height x width (each keeps its own memory plan) instead of one for all.</summary>
    public bool SessionPerInputSize { get; init; }

    public GraphOptimizationLevel GraphOptimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
}
