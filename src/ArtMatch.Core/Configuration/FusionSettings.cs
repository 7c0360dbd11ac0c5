namespace ArtMatch.Core.Configuration;

/// <summary>
/// A second encoder fused with the first (<see cref="Embedding.FusedFeatureExtractor"/>): its manifest
/// and its weight against the first, each encoder's map taken at unit mean cell norm per picture.
/// Off by default (null): measured in benchmarks/RESULTS.md, issue 18.
/// </summary>
public sealed record FusionSettings
{
    /// <summary>Model manifest path of the second encoder (relative paths resolve against the repository root).</summary>
    public required string Model { get; init; }

    /// <summary>The second encoder's map is multiplied by this (1: as much as the first).</summary>
    public float Weight { get; init; } = 1f;
}
