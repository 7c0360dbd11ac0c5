using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// A real store seen through members a test may override: to hold a call at a point (a gate), or to
/// fail the way a bug would. Disposing it leaves the real store open (it belongs to a fixture).
/// </summary>
public class DelegatingStore(ICatalogStore inner) : ICatalogStore
{
    public string ModelId => inner.ModelId;
    public int Dimension => inner.Dimension;
    public virtual int ObjectCount => inner.ObjectCount;
    public virtual int VectorCount => inner.VectorCount;
    public virtual Whitening? Whitening => inner.Whitening;

    public virtual UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images, string? actor = null) => inner.Upsert(record, images, actor);
    public UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images, string? actor = null) => inner.AddImages(objectId, images, actor);
    public bool Delete(string objectId, string? actor = null) => inner.Delete(objectId, actor);
    public virtual CulturalObject? Get(string objectId) => inner.Get(objectId);
    public IReadOnlyList<ObjectImage> GetImages(string objectId) => inner.GetImages(objectId);
    public byte[]? GetImageBytes(string imageId) => inner.GetImageBytes(imageId);
    public bool ContainsImage(string objectId, string imageId) => inner.ContainsImage(objectId, imageId);
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter) => inner.Search(query, k, filter);

    public virtual IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter) =>
        inner.SearchMany(queries, k, filter);

    public virtual bool RefreshWhitening(double staleShare = 0.25) => inner.RefreshWhitening(staleShare);
    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds) => inner.ScoreObjects(query, objectIds);

    public IReadOnlyList<KeypointCandidate> SearchKeypoints(KeypointSet query, int minInliers, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null,
        CancellationToken cancellation = default) =>
        inner.SearchKeypoints(query, minInliers, top, filter, excludeObjectIds, cancellation);

    public IReadOnlyList<string> ImagesWithoutKeypoints() => inner.ImagesWithoutKeypoints();
    public bool SetKeypoints(string imageId, KeypointSet keypoints) => inner.SetKeypoints(imageId, keypoints);
    public IReadOnlyList<CulturalObject> SearchText(string? text, SearchFilter filter, int limit) => inner.SearchText(text, filter, limit);
    public IEnumerable<(string ImageId, byte[] Encoded)> EnumerateImages() => inner.EnumerateImages();

    public void ReplaceEmbeddings(string modelId, int dimension, IEnumerable<(string ImageId, IReadOnlyList<float[]> Vectors)> vectors) =>
        inner.ReplaceEmbeddings(modelId, dimension, vectors);

    public void Dispose() => GC.SuppressFinalize(this);
}
