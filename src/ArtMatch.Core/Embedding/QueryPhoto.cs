using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// What the matching stages read of a query photo. Each part is computed the first time a stage
/// asks for it (the regions, the turns and the keypoints cost model runs and detection that an easy
/// photo does not need), then kept. One match reads it, from one thread. Tests hand-make it.
/// </summary>
public interface IQueryPhoto
{
    /// <summary>The decoded photo.</summary>
    RgbImage Image { get; }

    /// <summary>Size of the decoded photo, the frame of every position below.</summary>
    int Width { get; }

    int Height { get; }

    /// <summary>The whole photo's unit vector.</summary>
    float[] Global { get; }

    /// <summary>The whole photo's dense local features (spatial verification); null when turned off.</summary>
    LocalFeatures? Local { get; }

    /// <summary>Unit vectors of crops of the photo (an object small in a scene); may be empty.</summary>
    IReadOnlyList<float[]> Regions { get; }

    /// <summary>A region's local features, closer up, and the part of the photo they cover (pixels); null when there are none.</summary>
    (LocalFeatures Features, PixelRect Area)? RegionLocal(int region);

    /// <summary>The photo turned by one, two and three quarter turns; empty when turned off.</summary>
    IReadOnlyList<TurnedView> Turns { get; }

    /// <summary>The photo's keypoints (positions in its pixels); null when turned off.</summary>
    KeypointSet? Keypoints { get; }
}

/// <summary>
/// A photo described by the <see cref="ImageDescriber"/> on demand: one model run per input size,
/// shared by the global vector, the local features and the regions pooled from that size.
/// </summary>
internal sealed class QueryPhoto(ImageDescriber describer, RgbImage image) : IQueryPhoto
{
    private readonly Func<int, FeatureMaps> _mapsAt = describer.MapsOf(image);
    private float[]? _global;
    private (LocalFeatures? Value, bool Done) _local;
    private (List<float[]> Vectors, List<(PixelRect Cells, FeatureMaps Map)> Windows)? _regions;
    private Dictionary<int, (LocalFeatures, PixelRect)>? _regionLocals;
    private IReadOnlyList<TurnedView>? _turns;
    private (KeypointSet? Value, bool Done) _keypoints;

    private bool Baseline => describer.Settings.Baseline;

    public RgbImage Image => image;

    public int Width => image.Width;

    public int Height => image.Height;

    public float[] Global => _global ??= Baseline ? describer.BaselineVector(image) : describer.GlobalVector(_mapsAt);

    public LocalFeatures? Local
    {
        get
        {
            if (!_local.Done)
                _local = (describer.Settings.LocalFeatureScale > 0 && !Baseline ? ImageDescriber.LocalFeaturesOf(_mapsAt(describer.Settings.LocalFeatureScale)) : null, true);
            return _local.Value;
        }
    }

    public IReadOnlyList<float[]> Regions => RegionWindows().Vectors;

    public (LocalFeatures Features, PixelRect Area)? RegionLocal(int region)
    {
        var windows = RegionWindows().Windows;
        if (region < 0 || region >= windows.Count)
            return null;
        _regionLocals ??= [];
        if (!_regionLocals.TryGetValue(region, out var found))
            _regionLocals[region] = found = ImageDescriber.RegionLocalFeatures(windows[region].Map, windows[region].Cells, image.Width, image.Height);
        return found;
    }

    public IReadOnlyList<TurnedView> Turns => _turns ??= !Baseline && describer.Settings.QueryQuarterTurns ? describer.Turned(image) : [];

    public KeypointSet? Keypoints
    {
        get
        {
            if (!_keypoints.Done)
                _keypoints = (describer.KeypointsOf(image, forCatalogue: false), true);
            return _keypoints.Value;
        }
    }

    private (List<float[]> Vectors, List<(PixelRect Cells, FeatureMaps Map)> Windows) RegionWindows() =>
        _regions ??= Baseline ? ([], []) : describer.RegionsOf(_mapsAt, describer.Settings.QueryRegions);
}
