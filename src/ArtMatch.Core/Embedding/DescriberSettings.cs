namespace ArtMatch.Core.Embedding;

/// <summary>How pictures become vectors. The defaults are the product's pipeline; <see cref="Baseline"/> is the plain recipe.</summary>
public sealed record DescriberSettings
{
    /// <summary>The plain recipe measured against: resize, 224 centre crop, global average pooling.</summary>
    public bool Baseline { get; init; }

    /// <summary>Long side, in pixels, the picture is decoded to before any crop (shrink-on-load).</summary>
    public int DecodeLongSide { get; init; } = 640;

    /// <summary>Long sides of the whole picture fed to the model; the pooled vectors are averaged (multi-scale).</summary>
    public int[] GlobalScales { get; init; } = [320];

    /// <summary>Side of the square model input for each regional crop.</summary>
    public int RegionInputSize { get; init; } = 224;

    /// <summary>
    /// Regional crops for catalogue images, as a fraction of the short side per grid level: each level
    /// tiles the picture with overlapping squares of that size. Lets a detail or a partial view match.
    /// </summary>
    public float[] CatalogueRegionScales { get; init; } = [];

    /// <summary>Regional crops of a query photo, so that an object small in a scene is still found.</summary>
    public float[] QueryRegionScales { get; init; } = [];

    /// <summary>Model input long side for the dense local features used by spatial verification; 0 turns them off.</summary>
    public int LocalFeatureScale { get; init; }

    public static DescriberSettings Plain { get; } = new() { Baseline = true };
}
