using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Internal;

/// <summary>
/// The store's operations as Qdrant request messages (what the tests assert on): one point per row,
/// grouped queries per object, filters over the payload, writes that wait for Qdrant's acknowledgement.
/// </summary>
internal sealed class QdrantRequests(string collection, string modelId, int dimension, VectorIndexSettings settings)
{
    /// <summary>Metadata keys a collection made by ArtMatch carries, checked when it is opened again.</summary>
    public const string ModelKey = "artmatch_model";
    public const string DimensionKey = "artmatch_dimension";

    public string Collection { get; } = collection;

    /// <remarks>
    /// Memory placement is set twice: Qdrant 1.20's <c>memory</c> fields, and the flags they replace
    /// (on_disk, always_ram, on_disk_payload), which older servers read and 1.20 overrides.
    /// </remarks>
#pragma warning disable CS0612 // the deprecated flags, for servers before 1.20
    public CreateCollection CreateCollection()
    {
        var create = new CreateCollection
        {
            CollectionName = Collection,
            VectorsConfig = new VectorsConfig
            {
                Params = new VectorParams
                {
                    Size = (ulong)dimension,
                    Distance = Distance.Cosine,
                    // Float vectors are read only to re-score the int8 candidates: from disk, cached with use.
                    OnDisk = settings.VectorsOnDisk,
                    Memory = settings.VectorsOnDisk ? Memory.Cold : Memory.Cached,
                },
            },
            ShardNumber = (uint)settings.Shards,
            ReplicationFactor = (uint)settings.ReplicationFactor,
            WriteConsistencyFactor = (uint)settings.WriteConsistencyFactor,
            HnswConfig = new HnswConfigDiff
            {
                M = (ulong)settings.HnswM,
                EfConstruct = (ulong)settings.HnswEfConstruct,
                FullScanThreshold = (ulong)settings.FullScanThresholdKb,
                // Links along the payload index too, so a filtered search (one registry, one country) stays on the graph.
                PayloadM = (ulong)settings.HnswM,
            },
            QuantizationConfig = new QuantizationConfig
            {
                Scalar = new ScalarQuantization { Type = QuantizationType.Int8, Quantile = settings.QuantizationQuantile, AlwaysRam = true, Memory = Memory.Pinned },
            },
            // Payload (ids and filter fields) stays in RAM: every grouped query reads object_id of its candidates.
            OnDiskPayload = false,
            Payload = new PayloadStorageParams { Memory = Memory.Cached },
        };
        create.Metadata.Add(ModelKey, new Value { StringValue = modelId });
        create.Metadata.Add(DimensionKey, new Value { IntegerValue = dimension });
        return create;
    }
#pragma warning restore CS0612

    public IEnumerable<CreateFieldIndexCollection> PayloadIndexes() =>
        Payload.KeywordIndexes.Select(field => new CreateFieldIndexCollection
        {
            CollectionName = Collection,
            FieldName = field,
            FieldType = FieldType.Keyword,
            Wait = true,
        });

    /// <summary>Sets the record's filter fields on every row it already has (new rows carry them in their payload).</summary>
    public SetPayloadPoints SetObjectFields(IndexedObject record)
    {
        var set = new SetPayloadPoints
        {
            CollectionName = Collection,
            Wait = true,
            PointsSelector = new PointsSelector { Filter = ObjectFilter(record.ObjectId) },
        };
        set.Payload.Add(Payload.Fields(record));
        return set;
    }

    /// <summary>
    /// The rows of <paramref name="images"/> as upserts of at most <see cref="VectorIndexSettings.BatchSize"/>
    /// points each, sent one after the other. Each image's whole-picture row (region 0) goes after its
    /// regions: when it is stored, so are they, which is what <see cref="GetFirstRow"/> relies on.
    /// </summary>
    public IEnumerable<UpsertPoints> Upserts(IndexedObject record, IReadOnlyList<IndexedImage> images)
    {
        var batch = NewUpsert();
        foreach (var image in images)
        {
            foreach (int region in Enumerable.Range(1, image.Vectors.Count - 1).Append(0))
            {
                if (image.Vectors[region].Length != dimension)
                    throw new ArgumentException($"Image {image.ImageId} of '{record.ObjectId}' has a {image.Vectors[region].Length}-d vector; collection {Collection} holds {dimension}-d.");
                batch.Points.Add(Point(record, image.ImageId, region, image.Vectors[region]));
                if (batch.Points.Count == settings.BatchSize)
                {
                    yield return batch;
                    batch = NewUpsert();
                }
            }
        }
        if (batch.Points.Count > 0)
            yield return batch;
    }

    private UpsertPoints NewUpsert() => new() { CollectionName = Collection, Wait = true };

    public PointStruct Point(IndexedObject record, string imageId, int region, float[] vector)
    {
        var point = new PointStruct
        {
            Id = new PointId { Uuid = PointIds.For(modelId, record.ObjectId, imageId, region).ToString() },
            Vectors = new Vectors { Vector = new Vector { Dense = new DenseVector { Data = { vector } } } },
        };
        point.Payload.Add(Payload.Row(record, imageId, region));
        return point;
    }

    public DeletePoints DeleteObject(string objectId) => Delete(ObjectFilter(objectId));

    public DeletePoints DeleteImage(string objectId, string imageId)
    {
        var filter = ObjectFilter(objectId);
        filter.Must.Add(Keyword(Payload.ImageId, imageId));
        return Delete(filter);
    }

    private DeletePoints Delete(Filter filter) => new()
    {
        CollectionName = Collection,
        Wait = true,
        Points = new PointsSelector { Filter = filter },
    };

    public CountPoints Count(Filter? filter) => new() { CollectionName = Collection, Exact = true, Filter = filter };

    public CountPoints CountObject(string objectId) => Count(ObjectFilter(objectId));

    /// <summary>Whether the image's whole-picture row exists: it is written last of the image's rows (<see cref="Upserts"/>), so then all are.</summary>
    public GetPoints GetFirstRow(string objectId, string imageId)
    {
        var get = new GetPoints
        {
            CollectionName = Collection,
            WithPayload = new WithPayloadSelector { Enable = false },
            WithVectors = new WithVectorsSelector { Enable = false },
        };
        get.Ids.Add(new PointId { Uuid = PointIds.For(modelId, objectId, imageId, 0).ToString() });
        return get;
    }

    /// <summary>
    /// The top <paramref name="k"/> objects for one query: points grouped by object_id, one (the best)
    /// per group, searched on the int8 rows and re-scored with the float vectors.
    /// </summary>
    public QueryPointGroups Groups(float[] query, int k, Filter? filter, bool exact = false) => new()
    {
        CollectionName = Collection,
        Query = new Query { Nearest = new VectorInput { Dense = new DenseVector { Data = { query } } } },
        Filter = filter,
        GroupBy = Payload.ObjectId,
        GroupSize = 1,
        Limit = (ulong)k,
        Params = new SearchParams
        {
            HnswEf = (ulong)Math.Max(settings.HnswEf, k),
            Exact = exact,
            Quantization = new QuantizationSearchParams { Rescore = true, Oversampling = settings.Oversampling },
        },
        WithPayload = new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { Payload.ObjectId, Payload.ImageId, Payload.Region } } },
    };

    /// <summary>Distinct object ids among the points passing <paramref name="filter"/> (at most <paramref name="limit"/>).</summary>
    public FacetCounts ObjectIds(Filter filter, ulong limit) => new()
    {
        CollectionName = Collection,
        Key = Payload.ObjectId,
        Filter = filter,
        Limit = limit,
        Exact = true,
    };

    /// <summary>
    /// The record filter (and rows of whole pictures only when asked) as a Qdrant filter: each field a
    /// must-condition matching any of its values; null when nothing is restricted. A field given with no
    /// usable value matches nothing, as in the embedded index: <see cref="MatchesNothing"/> tells the caller.
    /// </summary>
    public static Filter? For(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var result = new Filter();
        AddAny(result, Payload.Source, filter.Registries);
        AddAny(result, Payload.ObjectType, filter.ObjectTypes);
        AddAny(result, Payload.Country, filter.Countries);
        if (filter.Statuses is { } statuses)
            result.Must.Add(AnyOf(Payload.Status, statuses.Select(Payload.StatusValue).Distinct().ToList()));
        if (filter.WholeImagesOnly)
            result.Must.Add(Keyword(Payload.Kind, Payload.Whole));
        return result.Must.Count == 0 ? null : result;
    }

    /// <summary>True when a field of <paramref name="filter"/> lists no value a record could have (no request needed).</summary>
    public static bool MatchesNothing(SearchFilter filter) =>
        Empty(filter.Registries) || Empty(filter.ObjectTypes) || Empty(filter.Countries) || filter.Statuses is { Count: 0 };

    private static bool Empty(IReadOnlyCollection<string>? values) => values is not null && !values.Any(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>Rows of the named objects only (scoring objects another search found).</summary>
    public static Filter ObjectsFilter(IEnumerable<string> objectIds) => new() { Must = { AnyOf(Payload.ObjectId, objectIds.Distinct().ToList()) } };

    private static Filter ObjectFilter(string objectId) => new() { Must = { Keyword(Payload.ObjectId, objectId) } };

    private static void AddAny(Filter filter, string key, IReadOnlyCollection<string>? values)
    {
        if (values is not null)
            filter.Must.Add(AnyOf(key, values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(Payload.Fold).Distinct().ToList()));
    }

    private static Condition Keyword(string key, string value) =>
        new() { Field = new FieldCondition { Key = key, Match = new Match { Keyword = value } } };

    private static Condition AnyOf(string key, IReadOnlyList<string> values) =>
        values.Count == 1 ? Keyword(key, values[0]) : new() { Field = new FieldCondition { Key = key, Match = new Match { Keywords = new RepeatedStrings { Strings = { values } } } } };
}
