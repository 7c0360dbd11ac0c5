using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Qdrant.Internal;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant;

/// <summary>
/// The catalogue's vectors in a Qdrant collection (one per model), through the official gRPC client: a
/// point per row (whole picture or region) with its object's filter fields as payload, searches grouped
/// per object on int8 rows re-scored with the float vectors, writes acknowledged by Qdrant before they
/// return (wait) and idempotent (deterministic point ids). It ranks and reports by the plain cosine: the
/// embedded index's whitening is not learned here (<see cref="Train"/> is false; README says why). The
/// interface is synchronous, so each call blocks on its requests (a query's searches run concurrently).
/// Thread-safe: the gRPC client is.
/// </summary>
public sealed partial class QdrantVectorIndex : IVectorIndex
{
    private readonly Points.PointsClient _points;
    private readonly Collections.CollectionsClient _collections;
    private readonly QdrantRequests _requests;
    private readonly TimeSpan _timeout;
    private readonly IDisposable? _channel;

    private QdrantVectorIndex(CallInvoker invoker, QdrantRequests requests, int dimension, VectorIndexSettings settings, IDisposable? channel)
    {
        var client = new QdrantGrpcClient(invoker);
        _points = client.Points;
        _collections = client.Collections;
        _requests = requests;
        Dimension = dimension;
        _timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds);
        _channel = channel;
    }

    public int Dimension { get; }

    /// <summary>The collection this index reads and writes.</summary>
    public string Collection => _requests.Collection;

    /// <summary>
    /// Connects to the server <paramref name="settings"/> name, creates the model's collection when it is
    /// missing, and refuses (<see cref="VectorIndexException"/>) one that holds another model's vectors.
    /// </summary>
    public static QdrantVectorIndex Open(VectorIndexSettings settings, string modelId, int dimension)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var endpoint = QdrantEndpoint.Parse(settings.Url ?? throw new ArgumentException("No Qdrant URL given."));
        string? apiKey = settings.ApiKey ?? Environment.GetEnvironmentVariable("QDRANT_API_KEY");
        var channel = QdrantChannel.ForAddress(endpoint.Address, new ClientConfiguration { ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey });
        try
        {
            return Open(channel.CreateCallInvoker(), endpoint.Collection ?? CollectionNames.For(modelId, dimension), modelId, dimension, settings, channel);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>As <see cref="Open(VectorIndexSettings, string, int)"/> over any call invoker (tests record the requests).</summary>
    internal static QdrantVectorIndex Open(CallInvoker invoker, string collection, string modelId, int dimension, VectorIndexSettings settings, IDisposable? channel = null)
    {
        ValidateSettings(settings, dimension);
        var index = new QdrantVectorIndex(invoker, new QdrantRequests(collection, modelId, dimension, settings), dimension, settings, channel);
        index.EnsureCollection(modelId);
        return index;
    }

    private static void ValidateSettings(VectorIndexSettings settings, int dimension)
    {
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), "Dimension must be positive.");
        if (settings.Shards < 1 || settings.ReplicationFactor < 1 || settings.WriteConsistencyFactor < 1 || settings.WriteConsistencyFactor > settings.ReplicationFactor)
            throw new ArgumentException("index: shards and replication_factor must be at least 1, write_consistency_factor between 1 and replication_factor.");
        if (settings.HnswM < 4 || settings.HnswEfConstruct < 4 || settings.HnswEf < 1 || settings.BatchSize < 1 || settings.TimeoutSeconds < 1)
            throw new ArgumentException("index: hnsw_m and hnsw_ef_construct must be at least 4, hnsw_ef, batch_size and timeout_seconds at least 1.");
        if (settings.Oversampling < 1 || settings.QuantizationQuantile is < 0.5f or > 1f)
            throw new ArgumentException("index: oversampling must be at least 1, quantization_quantile between 0.5 and 1.");
    }

    public int RowCount => (int)Call(o => _points.CountAsync(_requests.Count(null), o)).Result.Count;

    public void Upsert(IndexedObject record, IReadOnlyList<IndexedImage> images)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(images);
        // Built (and checked) before anything is sent: a bad vector writes nothing.
        var upserts = _requests.Upserts(record, images).ToList();
        Call(o => _points.SetPayloadAsync(_requests.SetObjectFields(record), o));
        foreach (var upsert in upserts)
            Call(o => _points.UpsertAsync(upsert, o));
    }

    public bool DeleteObject(string objectId)
    {
        ArgumentNullException.ThrowIfNull(objectId);
        if (Call(o => _points.CountAsync(_requests.CountObject(objectId), o)).Result.Count == 0)
            return false;
        Call(o => _points.DeleteAsync(_requests.DeleteObject(objectId), o));
        return true;
    }

    public bool DeleteImage(string objectId, string imageId)
    {
        ArgumentNullException.ThrowIfNull(objectId);
        ArgumentNullException.ThrowIfNull(imageId);
        var delete = _requests.DeleteImage(objectId, imageId);
        if (Call(o => _points.CountAsync(_requests.Count(delete.Points.Filter), o)).Result.Count == 0)
            return false;
        Call(o => _points.DeleteAsync(delete, o));
        return true;
    }

    public bool Contains(string objectId, string imageId) =>
        Call(o => _points.GetAsync(_requests.GetFirstRow(objectId, imageId), o)).Result.Count > 0;

    /// <summary>Nothing is learned: the collection ranks by the plain cosine (README: "Qdrant and the whitening").</summary>
    public bool Train(double staleShare) => false;

    /// <summary>Nothing to do: every write returned only after Qdrant acknowledged it (wait = true).</summary>
    public void Flush()
    {
    }

    public void Dispose() => _channel?.Dispose();
}
