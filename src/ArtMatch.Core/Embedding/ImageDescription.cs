using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// Dense local features: one L2-normalised vector per feature-map cell, with the cell centre in
/// normalised picture coordinates (0..1). Used to verify a candidate geometrically.
/// </summary>
public sealed class LocalFeatures(int gridWidth, int gridHeight, int dimension, float[] vectors, float[] positions)
{
    public int GridWidth { get; } = gridWidth;
    public int GridHeight { get; } = gridHeight;
    public int Count { get; } = gridWidth * gridHeight;
    public int Dimension { get; } = dimension;

    /// <summary>Count x Dimension, row-major.</summary>
    public float[] Vectors { get; } = vectors;

    /// <summary>Count x 2 (x, y) in 0..1.</summary>
    public float[] Positions { get; } = positions;

    public ReadOnlySpan<float> Vector(int index) => Vectors.AsSpan(index * Dimension, Dimension);
}

/// <summary>The photo turned clockwise by a number of quarter turns, at the size the model sees it.</summary>
public sealed record TurnedView(int QuarterTurns, RgbImage Picture, float[] Global, LocalFeatures? Local);

/// <summary>What the pipeline knows of one picture: its global vector, regional vectors and local features.</summary>
public sealed class ImageDescription
{
    public required float[] Global { get; init; }

    /// <summary>Unit vectors of crops of the picture (may be empty).</summary>
    public IReadOnlyList<float[]> Regions { get; init; } = [];

    public LocalFeatures? Local { get; init; }

    /// <summary>The photo turned by one, two and three quarter turns (queries, when configured); empty otherwise.</summary>
    public IReadOnlyList<TurnedView> Turns { get; init; } = [];

    /// <summary>
    /// A query region's local features, closer up, and the part of the decoded picture they cover
    /// (pixels), by region index; null for catalogue pictures.
    /// </summary>
    public Func<int, (LocalFeatures Features, PixelRect Area)>? RegionLocal { get; init; }

    /// <summary>Keypoints of the decoded picture (positions in its pixels); null when turned off.</summary>
    public KeypointSet? Keypoints { get; init; }

    /// <summary>Size of the decoded picture the description was computed from.</summary>
    public int Width { get; init; }

    public int Height { get; init; }

    /// <summary>Global first, then the regions: the rows a catalogue stores for the picture.</summary>
    public IReadOnlyList<float[]> AllVectors() => [Global, .. Regions];
}
