using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Tests.Matching.Stages;

/// <summary>Hand-made vectors: unit vectors along axes and mixtures of them.</summary>
internal static class Vectors
{
    public const int Dimension = 8;

    /// <summary>Unit vector mixing axis <paramref name="axis"/> (weight 1) with others (axis, weight) pairs.</summary>
    public static float[] Unit(int axis, params (int Axis, float Weight)[] others)
    {
        var v = new float[Dimension];
        v[axis] = 1;
        foreach (var (other, weight) in others)
            v[other] += weight;
        Pooling.L2Normalize(v);
        return v;
    }

    /// <summary>A grid of local features, each cell a distinct random unit vector (seeded): the same seed gives the same layout.</summary>
    public static LocalFeatures Grid(int width, int height, int seed)
    {
        const int dim = 16;
        var random = new Random(seed);
        var vectors = new float[width * height * dim];
        var positions = new float[width * height * 2];
        for (int cell = 0; cell < width * height; cell++)
        {
            var row = vectors.AsSpan(cell * dim, dim);
            for (int c = 0; c < dim; c++)
                row[c] = (float)(random.NextDouble() - 0.5);
            Pooling.L2Normalize(row);
            positions[2 * cell] = (cell % width + 0.5f) / width;
            positions[2 * cell + 1] = (cell / width + 0.5f) / height;
        }
        return new LocalFeatures(width, height, dim, vectors, positions);
    }
}

/// <summary>A described photo with hand-made parts; counts which parts a stage read (from any thread: a speculation reads too).</summary>
internal sealed class FakePhoto : IQueryPhoto
{
    private readonly float[] _global = [];
    private int _regionsRead, _turnsRead, _keypointsRead;

    public RgbImage Image { get; init; } = new(64, 64, new byte[64 * 64 * 3]);
    public int Width => Image.Width;
    public int Height => Image.Height;

    public required float[] Global
    {
        get { BeforeGlobal?.Invoke(); return _global; }
        init => _global = value;
    }

    /// <summary>Runs whenever <see cref="Global"/> is read (the describe stage reads it first): lets a test order the match thread after a speculation's step.</summary>
    public Action? BeforeGlobal { get; init; }

    /// <summary>Runs whenever "regions", "turns" or "keypoints" is read, before it returns (a test's hook: signal, wait, or throw).</summary>
    public Action<string>? OnRead { get; init; }

    public LocalFeatures? Local { get; init; }

    public IReadOnlyList<float[]> Regions
    {
        get { Interlocked.Increment(ref _regionsRead); OnRead?.Invoke("regions"); return RegionVectors; }
    }

    public IReadOnlyList<float[]> RegionVectors { get; init; } = [];

    public IReadOnlyList<TurnedView> Turns
    {
        get { Interlocked.Increment(ref _turnsRead); OnRead?.Invoke("turns"); return TurnViews; }
    }

    public IReadOnlyList<TurnedView> TurnViews { get; init; } = [];

    public KeypointSet? Keypoints
    {
        get { Interlocked.Increment(ref _keypointsRead); OnRead?.Invoke("keypoints"); return KeypointSet; }
    }

    public KeypointSet? KeypointSet { get; init; }

    public Func<int, (LocalFeatures, PixelRect)?> RegionLocals { get; init; } = _ => null;

    public (LocalFeatures Features, PixelRect Area)? RegionLocal(int region) => RegionLocals(region);

    public int RegionsRead => Volatile.Read(ref _regionsRead);
    public int TurnsRead => Volatile.Read(ref _turnsRead);
    public int KeypointsRead => Volatile.Read(ref _keypointsRead);
}

/// <summary>An in-memory catalogue: rows of (object, image, region, vector), searched by exact cosine; keypoint finds given by hand.</summary>
internal sealed class FakeStore : ICatalogStore
{
    private readonly List<(string ObjectId, string ImageId, int Region, float[] Vector)> _rows = [];

    public List<KeypointCandidate> KeypointFinds { get; } = [];

    /// <summary>SIFT features by image id, and the object each belongs to; the word search returns them all, in this order.</summary>
    public List<(string ObjectId, string ImageId, Core.Sift.FeatureSet Features)> SiftPictures { get; } = [];

    public Core.Sift.SiftVocabulary? SiftVocabulary => SiftPictures.Count > 0 ? Core.Sift.SiftVocabulary.Create(new float[128], 1, DateTimeOffset.UnixEpoch) : null;

    public IReadOnlyList<Core.Sift.SiftHit> SearchSiftWords(ushort[] words, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null) =>
        SiftPictures.Where(p => excludeObjectIds?.Contains(p.ObjectId) != true).Take(top).Select(p => new Core.Sift.SiftHit(p.ObjectId, p.ImageId, 0.5f)).ToList();

    public Core.Sift.FeatureSet? GetSiftFeatures(string imageId) => SiftPictures.FirstOrDefault(p => p.ImageId == imageId).Features;

    private int _searches;

    public int Searches => Volatile.Read(ref _searches);

    public FakeStore Add(string objectId, string imageId, float[] vector, int region = 0)
    {
        _rows.Add((objectId, imageId, region, vector));
        return this;
    }

    public string ModelId => "fake";
    public int Dimension => Vectors.Dimension;
    public int ObjectCount => _rows.Select(r => r.ObjectId).Distinct().Count();
    public int VectorCount => _rows.Count;

    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter)
    {
        Interlocked.Increment(ref _searches);
        var q = query.ToArray();
        return _rows.Where(r => !filter.WholeImagesOnly || r.Region == 0)
            .Select(r => new VectorHit(r.ObjectId, r.ImageId, r.Region, Dot(q, r.Vector)))
            .GroupBy(h => h.ObjectId).Select(g => g.OrderByDescending(h => h.Score).First())
            .OrderByDescending(h => h.Score).Take(k).ToList();
    }

    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds) =>
        Search(query, int.MaxValue, SearchFilter.None).Where(h => objectIds.Contains(h.ObjectId)).ToList();

    public IReadOnlyList<KeypointCandidate> SearchKeypoints(KeypointSet query, int minInliers, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null,
        CancellationToken cancellation = default) =>
        KeypointFinds.Where(f => f.Inliers >= minInliers && excludeObjectIds?.Contains(f.ObjectId) != true).OrderByDescending(f => f.Inliers).Take(top).ToList();

    public CulturalObject? Get(string objectId) => null;

    private static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    public UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images, string? actor = null) => throw new NotSupportedException();
    public UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images, string? actor = null) => throw new NotSupportedException();
    public bool Delete(string objectId, string? actor = null) => throw new NotSupportedException();
    public IReadOnlyList<ObjectImage> GetImages(string objectId) => [];
    public byte[]? GetImageBytes(string imageId) => null;
    public bool ContainsImage(string objectId, string imageId) => _rows.Any(r => r.ObjectId == objectId && r.ImageId == imageId);
    public IReadOnlyList<CulturalObject> SearchText(string? text, SearchFilter filter, int limit) => [];
    public IEnumerable<(string ImageId, byte[] Encoded)> EnumerateImages() => [];
    public void ReplaceEmbeddings(string modelId, int dimension, IEnumerable<(string ImageId, IReadOnlyList<float[]> Vectors)> vectors) => throw new NotSupportedException();
    public void Dispose() { }
}

/// <summary>Catalogue pictures for verification, by image id.</summary>
internal sealed class FakePictures : ICataloguePictures
{
    public Dictionary<string, CatalogueLocal> Pictures { get; } = [];

    public CatalogueLocal? Get(string imageId) => Pictures.GetValueOrDefault(imageId);

    /// <summary>A grey catalogue picture with the given local features (grey: the colour check abstains).</summary>
    public FakePictures Add(string imageId, LocalFeatures features, int size = 64)
    {
        Pictures[imageId] = new CatalogueLocal(features, size, size, new RgbImage(16, 16, Enumerable.Repeat((byte)128, 16 * 16 * 3).ToArray()));
        return this;
    }
}

/// <summary>
/// Local features without OpenCV: a "picture" is its first descriptor byte; features of one picture
/// match one to one, under the identity, and features of different pictures never match.
/// </summary>
internal sealed class FakeFeatureEngine(byte queryPicture, int count) : Core.Sift.ILocalFeatureEngine
{
    public static Core.Sift.FeatureSet Picture(byte picture, int count) => new(64, 64,
        Enumerable.Range(0, count).Select(i => new Core.Sift.FeaturePoint(i % 8 * 8, i / 8 * 8, 4, 30)).ToArray(),
        Enumerable.Repeat(picture, count * Core.Sift.FeatureSet.DescriptorLength).ToArray());

    public Core.Sift.FeatureSet Detect(GreyImage image, int maxFeatures) => Picture(queryPicture, Math.Min(count, maxFeatures));

    public IReadOnlyList<Core.Sift.FeatureMatch> Match(Core.Sift.FeatureSet query, Core.Sift.FeatureSet candidate, float ratio) =>
        query.Count == 0 || candidate.Count == 0 || query.Descriptors[0] != candidate.Descriptors[0] ? []
            : Enumerable.Range(0, Math.Min(query.Count, candidate.Count)).Select(i => new Core.Sift.FeatureMatch(i, i, 0)).ToList();

    public Core.Sift.GeometryFit? FitHomography(IReadOnlyList<(Core.Sift.PointF Query, Core.Sift.PointF Candidate)> pairs, double reprojectionPixels) =>
        pairs.Count < 4 ? null : new Core.Sift.GeometryFit([1, 0, 0, 0, 1, 0, 0, 0, 1], Enumerable.Range(0, pairs.Count).ToArray());

    public float[] LearnVocabulary(ReadOnlySpan<byte> descriptors, int words, int seed) => new float[words * 128];

    public int[] Quantize(Core.Sift.FeatureSet features, float[] vocabulary) => new int[features.Count];
}
