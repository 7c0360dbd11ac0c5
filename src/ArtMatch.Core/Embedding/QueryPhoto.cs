using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// What the matching stages read of a query photo. Each part is computed the first time a stage
/// asks for it (the regions, the turns and the keypoints cost model runs and detection that an easy
/// photo does not need), then kept. Thread-safe: a speculation (<see cref="Matching.Stages.Speculation"/>)
/// may compute the costly parts on another thread ahead of the stage that reads them; each part is
/// computed once, and a reader that asks while another thread computes it waits. Tests hand-make it.
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

    /// <summary>
    /// <see cref="Regions"/>, its model run ended early by <paramref name="cancellation"/> where the
    /// engine can stop one (then <see cref="OperationCanceledException"/>, the part left uncomputed).
    /// </summary>
    IReadOnlyList<float[]> RegionsUnlessCancelled(CancellationToken cancellation) => Regions;

    /// <summary><see cref="Turns"/>, its model runs ended early by <paramref name="cancellation"/> as <see cref="RegionsUnlessCancelled"/>.</summary>
    IReadOnlyList<TurnedView> TurnsUnlessCancelled(CancellationToken cancellation) => Turns;

    /// <summary><see cref="Keypoints"/>, the detection stopped between pyramid levels by <paramref name="cancellation"/> (left uncomputed then).</summary>
    KeypointSet? KeypointsUnlessCancelled(CancellationToken cancellation) => Keypoints;
}

/// <summary>
/// A photo described by the <see cref="ImageDescriber"/> on demand: one model run per input size,
/// shared by the global vector, the local features and the regions pooled from that size.
/// </summary>
internal sealed class QueryPhoto(ImageDescriber describer, RgbImage image) : IQueryPhoto
{
    private readonly Func<int, CancellationToken, FeatureMaps> _maps = describer.CancellableMapsOf(image);
    private readonly OnceComputed<float[]> _global = new();
    private readonly OnceComputed<LocalFeatures?> _local = new();
    private readonly OnceComputed<(List<float[]> Vectors, List<(PixelRect Cells, FeatureMaps Map)> Windows)> _regions = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, OnceComputed<(LocalFeatures, PixelRect)>> _regionLocals = new();
    private readonly OnceComputed<IReadOnlyList<TurnedView>> _turns = new();
    private readonly OnceComputed<KeypointSet?> _keypoints = new();

    private bool Baseline => describer.Settings.Baseline;

    public RgbImage Image => image;

    public int Width => image.Width;

    public int Height => image.Height;

    public float[] Global => _global.Get(() => Baseline ? describer.BaselineVector(image) : describer.GlobalVector(MapsAt(CancellationToken.None)));

    public LocalFeatures? Local => _local.Get(() =>
        describer.Settings.LocalFeatureScale > 0 && !Baseline ? ImageDescriber.LocalFeaturesOf(_maps(describer.Settings.LocalFeatureScale, CancellationToken.None)) : null);

    public IReadOnlyList<float[]> Regions => RegionWindows(CancellationToken.None).Vectors;

    public IReadOnlyList<float[]> RegionsUnlessCancelled(CancellationToken cancellation) => RegionWindows(cancellation).Vectors;

    public (LocalFeatures Features, PixelRect Area)? RegionLocal(int region)
    {
        var windows = RegionWindows(CancellationToken.None).Windows;
        if (region < 0 || region >= windows.Count)
            return null;
        return _regionLocals.GetOrAdd(region, _ => new OnceComputed<(LocalFeatures, PixelRect)>())
            .Get(() => ImageDescriber.RegionLocalFeatures(windows[region].Map, windows[region].Cells, image.Width, image.Height));
    }

    public IReadOnlyList<TurnedView> Turns => TurnsUnlessCancelled(CancellationToken.None);

    public IReadOnlyList<TurnedView> TurnsUnlessCancelled(CancellationToken cancellation) =>
        _turns.Get(() => !Baseline && describer.Settings.QueryQuarterTurns ? describer.Turned(image, cancellation) : []);

    public KeypointSet? Keypoints => KeypointsUnlessCancelled(CancellationToken.None);

    public KeypointSet? KeypointsUnlessCancelled(CancellationToken cancellation) =>
        _keypoints.Get(() => describer.KeypointsOf(image, forCatalogue: false, cancellation));

    private (List<float[]> Vectors, List<(PixelRect Cells, FeatureMaps Map)> Windows) RegionWindows(CancellationToken cancellation) =>
        _regions.Get(() => Baseline ? ([], []) : describer.RegionsOf(MapsAt(cancellation), describer.Settings.QueryRegions));

    private Func<int, FeatureMaps> MapsAt(CancellationToken cancellation) => longSide => _maps(longSide, cancellation);
}
