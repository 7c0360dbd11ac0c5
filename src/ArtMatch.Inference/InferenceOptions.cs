namespace ArtMatch.Inference;

/// <summary>How the model runs.</summary>
public sealed record InferenceOptions
{
    /// <summary>
    /// Threads ORT uses inside one Run. ArtMatch parallelises across images (one per core), so one
    /// thread per Run avoids oversubscribing; a single-photo server may prefer the core count.
    /// 0 lets ORT pick (one per physical core). Graph optimisation is always ORT's "all" level.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;
}
