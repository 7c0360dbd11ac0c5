using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// The embedding pipeline: encoded bytes -> decode (shrink-on-load) -> model input tensors ->
/// feature maps -> pooled, L2-normalised vectors. Deterministic and thread-safe.
/// </summary>
public sealed class ImageDescriber(IImageDecoder decoder, IFeatureExtractor extractor, DescriberSettings settings)
{
    /// <summary>The feature map is this many pixels per cell; sizes are rounded to it so cells are whole.</summary>
    private const int Stride = 32;

    public DescriberSettings Settings { get; } = settings;

    public ModelManifest Manifest => extractor.Manifest;

    /// <summary>Identifies the vectors this describer makes: model plus recipe, so stored vectors never mix.</summary>
    public string VectorSpaceId => Settings.Baseline ? Manifest.Id + "+baseline" : Manifest.Id;

    /// <summary>Length of the vectors, found once by describing a blank picture (the manifest need not say it).</summary>
    public int Dimension => _dimension ??= Describe(new RgbImage(Stride, Stride, new byte[Stride * Stride * 3]), includeRegions: false).Global.Length;

    private int? _dimension;

    public RgbImage Decode(ReadOnlySpan<byte> encoded) => Decode(encoded, CancellationToken.None);

    /// <summary>Decodes at the size the describer works at; <paramref name="cancellation"/> reaches into the decoder.</summary>
    public RgbImage Decode(ReadOnlySpan<byte> encoded, CancellationToken cancellation) => Settings.Baseline
        ? decoder.Decode(encoded, new DecodeOptions(new ImageSize(Manifest.Input.Size, Manifest.Input.Size), ResizeFit.CoverCentreCrop), cancellation)
        : decoder.Decode(encoded, DecodeOptions.LongSide(Settings.DecodeLongSide, allowUpscale: false), cancellation);

    /// <summary>The global vector only.</summary>
    public float[] Embed(ReadOnlySpan<byte> encoded) => Describe(Decode(encoded), includeRegions: false).Global;

    /// <summary>Global vector, plus catalogue regions or query crops as asked, plus local features when configured.</summary>
    public ImageDescription Describe(RgbImage image, bool includeRegions, bool forCatalogue = false)
    {
        if (Settings.Baseline)
            return new ImageDescription { Global = BaselineVector(image), Width = image.Width, Height = image.Height };

        var mapsAt = MapsOf(image);
        var global = GlobalVector(mapsAt);

        var levels = forCatalogue
            ? Settings.CatalogueRegionScales.Select(scale => new RegionLevel(scale, Settings.CatalogueRegionInput))
            : Settings.QueryRegions;
        var (regions, windows) = includeRegions ? RegionsOf(mapsAt, levels) : ([], []);
        // A catalogue picture's are stored for verification (no extra model run when the global vector is at the same size).
        var local = Settings.LocalFeatureScale > 0 ? LocalFeaturesOf(mapsAt(Settings.LocalFeatureScale)) : null;
        var turns = includeRegions && !forCatalogue && Settings.QueryQuarterTurns ? Turned(image) : [];
        return new ImageDescription
        {
            Global = global, Regions = regions, Local = local, Turns = turns, Width = image.Width, Height = image.Height,
            Keypoints = includeRegions ? KeypointsOf(image, forCatalogue) : null,
            RegionLocal = forCatalogue ? null : region => RegionLocalFeatures(windows[region].Map, windows[region].Cells, image.Width, image.Height),
        };
    }

    /// <summary>A query photo, described part by part as the matching stages ask (<see cref="IQueryPhoto"/>).</summary>
    public IQueryPhoto Query(RgbImage image) => new QueryPhoto(this, image);

    /// <summary>Regional vectors pooled from the maps at each level's input size, and the window each came from.</summary>
    internal (List<float[]> Vectors, List<(PixelRect Cells, FeatureMaps Map)> Windows) RegionsOf(Func<int, FeatureMaps> mapsAt, IEnumerable<RegionLevel> levels)
    {
        var regions = new List<float[]>();
        var windows = new List<(PixelRect Cells, FeatureMaps Map)>();
        var poolers = new Dictionary<FeatureMaps, MapPooler>();
        try
        {
            foreach (var level in levels)
            {
                var map = mapsAt(level.Input);
                foreach (var window in RegionGrid.Squares(map.Width, map.Height, [level.Scale], minSide: 2))
                {
                    if (!poolers.TryGetValue(map, out var pooler))
                        poolers[map] = pooler = new MapPooler(map, Manifest.Embedding);
                    regions.Add(pooler.Pool(window.Y, window.Bottom, window.X, window.Right));
                    windows.Add((window, map));
                }
            }
        }
        finally
        {
            foreach (var pooler in poolers.Values)
                pooler.Dispose();
        }
        return (regions, windows);
    }

    /// <summary>The picture's feature maps by input long side: one forward pass per size, shared by the global vector, regions and local features.</summary>
    internal Func<int, FeatureMaps> MapsOf(RgbImage image)
    {
        var maps = CancellableMapsOf(image);
        return longSide => maps(longSide, CancellationToken.None);
    }

    /// <summary>As <see cref="MapsOf"/>, a run ended early by the cancellation it is asked with (then that size is left to run again).</summary>
    /// <remarks>Thread-safe: a speculation may ask for one size while the match asks for another; each size runs once.</remarks>
    internal Func<int, CancellationToken, FeatureMaps> CancellableMapsOf(RgbImage image)
    {
        var maps = new System.Collections.Concurrent.ConcurrentDictionary<int, OnceComputed<FeatureMaps>>();
        return (longSide, cancellation) => maps.GetOrAdd(longSide, _ => new OnceComputed<FeatureMaps>()).Get(() => Run([ResizeToStride(image, longSide)], cancellation));
    }

    /// <summary>GeM of the whole picture at each global scale, summed and normalised.</summary>
    internal float[] GlobalVector(Func<int, FeatureMaps> mapsAt)
    {
        var global = new float[0];
        foreach (int scale in Settings.GlobalScales)
        {
            var vector = new MapPooler(mapsAt(scale), Manifest.Embedding).PoolWhole();
            if (global.Length == 0)
                global = vector;
            else
                System.Numerics.Tensors.TensorPrimitives.Add(global, vector, global);
        }
        Pooling.L2Normalize(global);
        return global;
    }

    /// <summary>The picture turned by one to three quarter turns: global vector and local features of each (no regions).</summary>
    /// <remarks>Turns a copy already at the largest size the model sees it (cheaper than turning and resizing the decoded photo three times).</remarks>
    internal List<TurnedView> Turned(RgbImage image, CancellationToken cancellation = default)
    {
        int longest = Math.Max(Settings.GlobalScales.Max(), Settings.LocalFeatureScale);
        var small = longest < Math.Max(image.Width, image.Height) ? ResizeToStride(image, longest) : image;
        var turned = new RgbImage[4];
        var mapsAt = new Func<int, FeatureMaps>[4];
        for (int quarterTurns = 1; quarterTurns <= 3; quarterTurns++)
        {
            turned[quarterTurns] = ImageOps.TurnClockwise(small, quarterTurns);
            var maps = CancellableMapsOf(turned[quarterTurns]);
            mapsAt[quarterTurns] = longSide => maps(longSide, cancellation);
        }
        // One size seen by the model (the default: global vector and local features at 320 px): the
        // photo turned by one and by three quarter turns has the same shape, so both go in one model run.
        if (Settings.GlobalScales.Distinct().Count() == 1 && (Settings.LocalFeatureScale == 0 || Settings.LocalFeatureScale == Settings.GlobalScales[0]))
        {
            int size = Settings.GlobalScales[0];
            var pair = RunEach([ResizeToStride(turned[1], size), ResizeToStride(turned[3], size)], cancellation);
            mapsAt[1] = Fixed(mapsAt[1], size, pair[0]);
            mapsAt[3] = Fixed(mapsAt[3], size, pair[1]);
        }
        var turns = new List<TurnedView>(3);
        for (int quarterTurns = 1; quarterTurns <= 3; quarterTurns++)
        {
            var local = Settings.LocalFeatureScale > 0 ? LocalFeaturesOf(mapsAt[quarterTurns](Settings.LocalFeatureScale)) : null;
            turns.Add(new TurnedView(quarterTurns, turned[quarterTurns], GlobalVector(mapsAt[quarterTurns]), local));
        }
        return turns;

        static Func<int, FeatureMaps> Fixed(Func<int, FeatureMaps> other, int size, FeatureMaps maps) => longSide => longSide == size ? maps : other(longSide);
    }

    /// <summary>Same-sized pictures through the model in one run, their maps apart.</summary>
    private FeatureMaps[] RunEach(IReadOnlyList<RgbImage> images, CancellationToken cancellation)
    {
        var maps = Run(images, cancellation);
        var each = new FeatureMaps[images.Count];
        for (int i = 0; i < images.Count; i++)
            each[i] = new FeatureMaps(1, maps.Channels, maps.Height, maps.Width, maps.Item(i).ToArray());
        return each;
    }

    internal float[] BaselineVector(RgbImage image)
    {
        var maps = Run([image]);
        var vector = new float[maps.Channels];
        Pooling.Average(maps.Item(0), maps.Channels, maps.Height, maps.Width, vector);
        Pooling.L2Normalize(vector);
        return vector;
    }

    /// <summary>Keypoints of the decoded picture, with the catalogue's or the query's settings; null when those are off.</summary>
    public KeypointSet? KeypointsOf(RgbImage image, bool forCatalogue, CancellationToken cancellation = default) =>
        (forCatalogue ? Settings.CatalogueKeypoints : Settings.QueryKeypoints) is { } keypoints && !Settings.Baseline
            ? KeypointDetector.Detect(GreyImage.FromRgb(image), keypoints, cancellation)
            : null;

    /// <summary>Local features of a picture alone (a catalogue image being verified against).</summary>
    public LocalFeatures? LocalFeaturesOf(RgbImage image) =>
        Settings.LocalFeatureScale > 0 && !Settings.Baseline ? LocalFeaturesOf(Run([ResizeToStride(image, Settings.LocalFeatureScale)])) : null;

    /// <summary>
    /// Local features of a region, closer up: the cells of the (larger) map the region was pooled
    /// from, in the window plus a quarter window of context on every side (the window may cut
    /// through the object). No extra model run.
    /// </summary>
    internal static (LocalFeatures Features, PixelRect Area) RegionLocalFeatures(FeatureMaps maps, PixelRect window, int width, int height)
    {
        int grow = Math.Max(1, window.Width / 4);
        int x0 = Math.Max(0, window.X - grow), y0 = Math.Max(0, window.Y - grow);
        int x1 = Math.Min(maps.Width, window.Right + grow), y1 = Math.Min(maps.Height, window.Bottom + grow);
        var cells = new PixelRect(x0, y0, x1 - x0, y1 - y0);
        var area = CellsToPixels(cells, (double)width / maps.Width, (double)height / maps.Height, width, height);
        return (LocalFeaturesOf(maps, cells), area);
    }

    internal static LocalFeatures LocalFeaturesOf(FeatureMaps maps) => LocalFeaturesOf(maps, new PixelRect(0, 0, maps.Width, maps.Height));

    /// <summary>One unit vector per cell of <paramref name="cells"/>, positions relative to that window.</summary>
    private static LocalFeatures LocalFeaturesOf(FeatureMaps maps, PixelRect window)
    {
        int plane = maps.Height * maps.Width;
        int dim = maps.Channels;
        var vectors = new float[window.Width * window.Height * dim];
        var positions = new float[window.Width * window.Height * 2];
        var map = maps.Item(0);
        for (int y = 0; y < window.Height; y++)
        {
            for (int x = 0; x < window.Width; x++)
            {
                int cell = y * window.Width + x;
                int source = (window.Y + y) * maps.Width + window.X + x;
                var row = vectors.AsSpan(cell * dim, dim);
                for (int c = 0; c < dim; c++)
                    row[c] = map[c * plane + source];
                Pooling.L2Normalize(row);
                positions[cell * 2] = (x + 0.5f) / window.Width;
                positions[cell * 2 + 1] = (y + 0.5f) / window.Height;
            }
        }
        return new LocalFeatures(window.Width, window.Height, dim, vectors, positions);
    }

    /// <summary>Pools one map, whole or by windows, the way the manifest says (GeM, average, or none for a vector tap).</summary>
    private sealed class MapPooler(FeatureMaps maps, EmbeddingTap tap) : IDisposable
    {
        private float P => tap.Pooling == "avg" ? 1f : tap.GemP;

        /// <summary>Built on the first window: worth it only when many windows of the map are pooled.</summary>
        private WindowPooler? _windows;

        public float[] PoolWhole() => Finish(vector =>
            Pooling.Gem(maps.Item(0), maps.Channels, maps.Height, maps.Width, P, 0, maps.Height, 0, maps.Width, vector));

        public float[] Pool(int y0, int y1, int x0, int x1) => Finish(vector =>
            (_windows ??= new WindowPooler(maps.Item(0), maps.Channels, maps.Height, maps.Width, P)).Pool(y0, y1, x0, x1, vector));

        /// <summary>Gives back the window table (rented).</summary>
        public void Dispose() => _windows?.Dispose();

        private float[] Finish(Action<float[]> pool)
        {
            var vector = new float[maps.Channels];
            if (tap.Pooling == "none")
                maps.Item(0).CopyTo(vector);
            else
                pool(vector);
            if (tap.Normalize == "l2")
                Pooling.L2Normalize(vector);
            return vector;
        }
    }

    private static PixelRect CellsToPixels(PixelRect cells, double cellWidth, double cellHeight, int width, int height)
    {
        int x = (int)Math.Round(cells.X * cellWidth), y = (int)Math.Round(cells.Y * cellHeight);
        int right = Math.Min(width, (int)Math.Round(cells.Right * cellWidth)), bottom = Math.Min(height, (int)Math.Round(cells.Bottom * cellHeight));
        return new PixelRect(x, y, Math.Max(1, right - x), Math.Max(1, bottom - y));
    }

    /// <summary>Whole picture, aspect kept, long side as asked, both sides whole multiples of the stride.</summary>
    private static RgbImage ResizeToStride(RgbImage image, int longSide)
    {
        double factor = (double)longSide / Math.Max(image.Width, image.Height);
        int width = Math.Max(Stride, (int)Math.Round(image.Width * factor / Stride) * Stride);
        int height = Math.Max(Stride, (int)Math.Round(image.Height * factor / Stride) * Stride);
        return ImageOps.Resize(image, width, height);
    }

    /// <summary>Runs a batch of same-sized pictures through the model.</summary>
    private FeatureMaps Run(IReadOnlyList<RgbImage> images, CancellationToken cancellation = default)
    {
        int width = images[0].Width, height = images[0].Height;
        int size = 3 * width * height;
        // Pooled: the extractor reads the tensor in place during the run and keeps no reference.
        var pooled = System.Buffers.ArrayPool<float>.Shared.Rent(size * images.Count);
        try
        {
            var input = pooled.AsSpan(0, size * images.Count);
            for (int i = 0; i < images.Count; i++)
                TensorBuilder.Fill(images[i], Manifest.Input, input.Slice(i * size, size));
            return extractor.Extract(input, images.Count, height, width, cancellation);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(pooled);
        }
    }
}
