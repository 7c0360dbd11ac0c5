using ArtMatch.Core.Embedding;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Catalog;

/// <summary>An image to store with its object: encoded bytes and all its embeddings.</summary>
public sealed record NewImage(byte[] Encoded, string? Label, int Width, int Height, IReadOnlyList<float[]> Vectors)
{
    public string ImageId { get; } = Hashing.Sha256Hex(Encoded);

    /// <summary>The picture's keypoints (<see cref="KeypointDetector"/>), stored beside its vectors; null when not computed.</summary>
    public KeypointSet? Keypoints { get; init; }

    /// <summary>The picture's SIFT features (<see cref="ILocalFeatureEngine"/>), stored beside its vectors; null when not computed.</summary>
    public FeatureSet? Sift { get; init; }

    /// <summary>The visual word of each of <see cref="Sift"/>'s features in the store's current vocabulary; null when there is none yet.</summary>
    public ushort[]? SiftWords { get; init; }

    /// <summary>What verification reads of the picture (<see cref="CatalogueLocal"/>), stored beside its vectors; null when not computed.</summary>
    public CatalogueLocal? Local { get; init; }
}

/// <summary>Restricts a search to records whose fields match; null means any.</summary>
public sealed record SearchFilter
{
    public IReadOnlyCollection<string>? Registries { get; init; }
    public IReadOnlyCollection<ObjectStatus>? Statuses { get; init; }
    public IReadOnlyCollection<string>? ObjectTypes { get; init; }
    public IReadOnlyCollection<string>? Countries { get; init; }

    /// <summary>Search only each image's whole-picture vector (region 0), not its regional vectors.</summary>
    public bool WholeImagesOnly { get; init; }

    public static readonly SearchFilter None = new();

    /// <summary>No metadata restriction (<see cref="WholeImagesOnly"/> is about rows, not records).</summary>
    public bool IsEmpty => Registries is null && Statuses is null && ObjectTypes is null && Countries is null;
}

/// <summary>
/// One object found by vector search: the best-scoring of its vectors wins. <see cref="Score"/> is the
/// plain cosine (what verdicts are calibrated on); when the store whitens, objects were ranked by
/// <see cref="WhitenedScore"/> instead.
/// </summary>
public sealed record VectorHit(string ObjectId, string ImageId, int Region, float Score)
{
    /// <summary>Cosine in the catalogue's whitened space (<see cref="Embedding.Whitening"/>); null when the store does not whiten.</summary>
    public float? WhitenedScore { get; init; }

    /// <summary>What the search ranked by.</summary>
    public float RankScore => WhitenedScore ?? Score;
}

public sealed record UpsertResult(string ObjectId, bool Created, int ImagesAdded, int ImagesAlreadyPresent);

/// <summary>
/// The catalogue: durable object records, their images and embeddings, vector search and keyword
/// search. The implementation is SQLite with its vectors in an <see cref="IVectorIndex"/>: the embedded
/// in-memory one, or a Qdrant collection (ArtMatch.Qdrant). All members are thread-safe.
/// Writes are atomic per object: a reader never sees half an object.
/// </summary>
public interface ICatalogStore : IDisposable
{
    /// <summary>The model whose vectors this store searches.</summary>
    string ModelId { get; }

    int Dimension { get; }

    /// <summary>Inserts or replaces the record and adds images not yet present (by sha256).</summary>
    /// <remarks><paramref name="actor"/> names who made the change in the audit log (an API key's owner).</remarks>
    UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images, string? actor = null);

    /// <summary>Adds images to an existing object; throws <see cref="ObjectNotFoundException"/> if there is none.</summary>
    UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images, string? actor = null);

    bool Delete(string objectId, string? actor = null);

    CulturalObject? Get(string objectId);

    IReadOnlyList<ObjectImage> GetImages(string objectId);

    byte[]? GetImageBytes(string imageId);

    bool ContainsImage(string objectId, string imageId);

    int ObjectCount { get; }

    int VectorCount { get; }

    /// <summary>
    /// Top <paramref name="k"/> objects by cosine (dot product of unit vectors), several images of one
    /// object collapsed; by whitened cosine when the store has learned a <see cref="Whitening"/>.
    /// </summary>
    IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter);

    /// <summary>
    /// <see cref="Search"/> for several queries at once, results in query order. A store may answer
    /// them in one pass over its vectors; the default asks one by one.
    /// </summary>
    IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter) =>
        queries.Select(query => Search(query, k, filter)).ToList();

    /// <summary>The whitening searches rank by (learned from this catalogue's vectors), or null.</summary>
    Whitening? Whitening => null;

    /// <summary>
    /// Learns the whitening from the catalogue's current vectors and keeps it, when there is none or
    /// the number of vectors changed by more than <paramref name="staleShare"/> since it was learned
    /// (0 relearns always). Returns false when nothing was learned: too few vectors, still fresh, or a
    /// store that does not whiten.
    /// </summary>
    bool RefreshWhitening(double staleShare = 0.25) => false;

    /// <summary>
    /// Marks a bulk load (a catalogue import) until the handle is disposed: the store may defer index work
    /// that a growing catalogue would otherwise repeat (the embedded index learns its inverted file once, at
    /// the end, instead of again at every doubling of its rows). Nothing to defer by default.
    /// </summary>
    IDisposable BeginBulkLoad() => NoBulkLoad.Instance;

    private sealed class NoBulkLoad : IDisposable
    {
        public static readonly NoBulkLoad Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// The best plain cosine (and whitened cosine, when the store whitens) of <paramref name="query"/>
    /// with any vector of each named object: the vector evidence for an object another search found.
    /// Objects not in the store are left out.
    /// </summary>
    IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds) => [];

    /// <summary>
    /// Catalogue pictures whose keypoints agree with the photo's on one transform, with at least
    /// <paramref name="minInliers"/> inliers, most first, among objects passing <paramref name="filter"/>
    /// and not in <paramref name="excludeObjectIds"/>. A store that keeps no keypoints finds none.
    /// </summary>
    IReadOnlyList<KeypointCandidate> SearchKeypoints(KeypointSet query, int minInliers, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null,
        CancellationToken cancellation = default) => [];

    /// <summary>Ids of stored images that have no keypoints yet (stored before keypoints existed).</summary>
    IReadOnlyList<string> ImagesWithoutKeypoints() => [];

    /// <summary>Stores (or replaces) one image's keypoints; false when the image is not in the store.</summary>
    bool SetKeypoints(string imageId, KeypointSet keypoints) => false;

    /// <summary>
    /// What verification reads of a stored image (made at import with the store's model), or null when
    /// the store keeps none for it: then it is decoded and described from its bytes.
    /// </summary>
    CatalogueLocal? GetCatalogueLocal(string imageId) => null;

    /// <summary>Ids of stored images that have no <see cref="CatalogueLocal"/> of the store's model (stored before it was kept, or under another model).</summary>
    IReadOnlyList<string> ImagesWithoutCatalogueLocal() => [];

    /// <summary>Stores (or replaces) one image's <see cref="CatalogueLocal"/>; false when the image is not in the store.</summary>
    bool SetCatalogueLocal(string imageId, CatalogueLocal local) => false;

    /// <summary>Stored <see cref="CatalogueLocal"/>s still in an older, larger encoding (readable as they are; see <see cref="RecodeCatalogueLocal"/>).</summary>
    int CatalogueLocalToRecode() => 0;

    /// <summary>Re-encodes those compact, resumably (a kill leaves the rest to do); returns how many were.</summary>
    int RecodeCatalogueLocal(CancellationToken cancellation = default) => 0;

    /// <summary>The catalogue's SIFT visual words, or null before they are learned (or in a store that keeps no SIFT features).</summary>
    SiftVocabulary? SiftVocabulary => null;

    /// <summary>
    /// Keeps <paramref name="vocabulary"/> and every image's words in it (<paramref name="wordsByImage"/>:
    /// one word per stored feature, in feature order) in one transaction; images left out lose their words.
    /// </summary>
    void SetSiftVocabulary(SiftVocabulary vocabulary, IReadOnlyDictionary<string, ushort[]> wordsByImage) { }

    /// <summary>The stored SIFT features of an image, or null.</summary>
    FeatureSet? GetSiftFeatures(string imageId) => null;

    /// <summary>Every stored image's SIFT features, image by image (to learn the vocabulary from).</summary>
    IEnumerable<(string ImageId, FeatureSet Features)> EnumerateSiftFeatures() => [];

    /// <summary>Ids of stored images that have no SIFT features yet (stored before they existed).</summary>
    IReadOnlyList<string> ImagesWithoutSiftFeatures() => [];

    /// <summary>Stores (or replaces) one image's SIFT features and, when known, their words; false when the image is not in the store.</summary>
    bool SetSiftFeatures(string imageId, FeatureSet features, ushort[]? words) => false;

    /// <summary>
    /// The <paramref name="top"/> catalogue pictures whose visual words best match the photo's (tf-idf over
    /// the whole catalogue), among objects passing <paramref name="filter"/> and not excluded.
    /// </summary>
    IReadOnlyList<SiftHit> SearchSiftWords(ushort[] words, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null) => [];

    /// <summary>Full-text search over title, maker, inscriptions, description, then field filters.</summary>
    IReadOnlyList<CulturalObject> SearchText(string? text, SearchFilter filter, int limit);

    /// <summary>Every image id with its encoded bytes, for re-embedding with a new model.</summary>
    IEnumerable<(string ImageId, byte[] Encoded)> EnumerateImages();

    /// <summary>Replaces every vector with ones from <paramref name="modelId"/> (a model change).</summary>
    void ReplaceEmbeddings(string modelId, int dimension, IEnumerable<(string ImageId, IReadOnlyList<float[]> Vectors)> vectors);

    /// <summary>
    /// Appends an entry to the store's tamper-evident audit log (who, what, on which object, the
    /// outcome): every Match, and any other call that decides something about an object. Writes
    /// through the store log themselves. A store without an audit log ignores it.
    /// </summary>
    void Audit(string? actor, string action, string? objectId, string? detail)
    {
    }
}
