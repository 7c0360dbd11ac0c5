using ArtMatch.Core.Keypoints;

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

    /// <summary>
    /// Regional vectors of catalogue images, as a fraction of the short side per grid level: each
    /// level tiles the feature map with overlapping square windows of that size, each GeM-pooled
    /// into its own vector (R-MAC-style regions). Lets a detail or a partial view match.
    /// </summary>
    public float[] CatalogueRegionScales { get; init; } = [0.4f, 0.7f];

    /// <summary>Long side of the picture whose feature map catalogue regions are pooled from.</summary>
    public int CatalogueRegionInput { get; init; } = 512;

    /// <summary>
    /// Regional vectors of a query photo, so that an object small in a scene is still found: window
    /// size (fraction of the short side) and the long side of the picture whose feature map the
    /// windows are pooled from. Every window comes from one map at 640 px (the decoded photo's own
    /// size, one model run): the small windows used to come from a second run at 800 px, which cost
    /// more than the rest of the regions stage; without it the dev set lost one paste-in-scene photo
    /// of 55 and gained a real one (benchmarks/RESULTS.md, "Cascade, third session"). At 480 or
    /// 320 px more objects small in a scene were lost.
    /// </summary>
    public RegionLevel[] QueryRegions { get; init; } =
        [new(0.3f, 640), new(0.4f, 640), new(0.5f, 640), new(0.75f, 640)];

    /// <summary>
    /// Also describe the photo turned by 90, 180 and 270 degrees (global vector and local features,
    /// one small model run each): a photo taken sideways whose orientation tag was lost, or an object
    /// lying at another angle than in the catalogue. CNN features do not survive a quarter turn.
    /// </summary>
    public bool QueryQuarterTurns { get; init; } = true;

    /// <summary>Model input long side for the dense local features used by spatial verification; 0 turns them off.</summary>
    public int LocalFeatureScale { get; init; } = 320;

    /// <summary>
    /// Keypoints of a query photo (pixel-level evidence beside the CNN, see <see cref="KeypointDetector"/>);
    /// null turns them off.
    /// </summary>
    public KeypointSettings? QueryKeypoints { get; init; } = new();

    /// <summary>
    /// Keypoints of a catalogue picture: many more than a photo's, so that a close-up of any part of
    /// it still meets a dozen of them (a 72 px detail of a 500 px picture covers 2 % of it).
    /// </summary>
    public KeypointSettings? CatalogueKeypoints { get; init; } = new() { MaxKeypoints = 6000 };

    public static DescriberSettings Plain { get; } = new() { Baseline = true, QueryKeypoints = null, CatalogueKeypoints = null };
}

/// <summary>One size of region window and the input size its feature map is computed at.</summary>
public sealed record RegionLevel(float Scale, int Input);
