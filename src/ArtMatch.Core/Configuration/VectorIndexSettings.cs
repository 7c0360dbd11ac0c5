using System.Text.Json.Serialization;

namespace ArtMatch.Core.Configuration;

/// <summary>
/// Where the catalogue's vectors live (<c>index</c> in the config file, or <c>--index</c>): the
/// embedded index inside the store (the default, <see cref="Url"/> null) or a Qdrant server. The
/// Qdrant fields below are what its collection is created with; an existing collection keeps the
/// settings it was created with.
/// </summary>
public sealed record VectorIndexSettings
{
    /// <summary>
    /// Null (embedded), or <c>qdrant://host:6334</c> (gRPC, cleartext) / <c>qdrants://host:6334</c> (TLS),
    /// optionally with a collection name as path (<c>qdrant://host:6334/NAME</c>); without one the
    /// collection is named after the model and its dimension.
    /// </summary>
    public string? Url { get; init; }

    /// <summary>How the embedded index (<see cref="Url"/> null) holds and searches its rows.</summary>
    public EmbeddedIndexSettings Embedded { get; init; } = new();

    /// <summary>Qdrant API key; the environment variable <c>QDRANT_API_KEY</c> is used when this is null (keeps keys out of files).</summary>
    [JsonIgnore]
    public string? ApiKey { get; init; }

    /// <summary>The config file's <c>api_key</c>: read into <see cref="ApiKey"/>, never written back (eval reports print the config).</summary>
    [JsonPropertyName("api_key")]
    public string? ApiKeyInFile
    {
        get => null;
        init => ApiKey = value;
    }

    /// <summary>Shards of a new collection (spread over the cluster's nodes).</summary>
    public int Shards { get; init; } = 1;

    /// <summary>Copies of each shard in a new collection (2 or more survives the loss of a node).</summary>
    public int ReplicationFactor { get; init; } = 1;

    /// <summary>Replicas that must acknowledge a write before Qdrant answers it.</summary>
    public int WriteConsistencyFactor { get; init; } = 1;

    /// <summary>HNSW edges per node (Qdrant's default is 16; more is more accurate and larger).</summary>
    public int HnswM { get; init; } = 32;

    /// <summary>HNSW candidates considered while building (Qdrant's default is 100).</summary>
    public int HnswEfConstruct { get; init; } = 256;

    /// <summary>HNSW candidates considered per search (Qdrant's default follows the limit).</summary>
    public int HnswEf { get; init; } = 256;

    /// <summary>Kilobytes of vectors below which a filtered search scans instead of walking the graph.</summary>
    public int FullScanThresholdKb { get; init; } = 10_000;

    /// <summary>Quantile of values the int8 quantisation's range covers (outliers beyond it are clipped).</summary>
    public float QuantizationQuantile { get; init; } = 0.99f;

    /// <summary>Candidates per result taken from the int8 rows before re-scoring them with the float vectors.</summary>
    public double Oversampling { get; init; } = 2.0;

    /// <summary>Float vectors memory-mapped from disk (the int8 copy stays in RAM); false keeps both in RAM.</summary>
    public bool VectorsOnDisk { get; init; } = true;

    /// <summary>Points per upsert request.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Deadline of one request to Qdrant, in seconds.</summary>
    public int TimeoutSeconds { get; init; } = 30;

    public bool IsEmbedded => string.IsNullOrWhiteSpace(Url);
}
