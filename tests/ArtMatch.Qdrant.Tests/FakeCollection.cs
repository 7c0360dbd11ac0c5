using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Tests;

/// <summary>One collection of <see cref="FakeQdrant"/>: points by id, searched exactly (callers hold the fake's lock).</summary>
internal sealed class FakeCollection(CreateCollection create)
{
    public Dictionary<string, (float[] Vector, Dictionary<string, Value> Payload)> Points { get; } = [];

    public HashSet<string> Indexed { get; } = [];

    public CollectionInfo Info()
    {
        var config = new CollectionConfig { Params = new CollectionParams { VectorsConfig = create.VectorsConfig, ShardNumber = create.ShardNumber } };
        config.Metadata.Add(create.Metadata);
        return new CollectionInfo { Config = config, PointsCount = (ulong)Points.Count };
    }

    public bool Upsert(UpsertPoints upsert)
    {
        ulong size = create.VectorsConfig.Params.Size;
        foreach (var point in upsert.Points)
        {
            var vector = point.Vectors.Vector.Dense.Data.ToArray();
            if ((ulong)vector.Length != size)
                throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {size}, got {vector.Length}"));
            Points[Id(point.Id)] = (vector, new Dictionary<string, Value>(point.Payload));
        }
        return true;
    }

    public bool SetPayload(SetPayloadPoints set)
    {
        foreach (var id in Matching(set.PointsSelector.Filter).ToList())
        {
            foreach (var (key, value) in set.Payload)
                Points[id].Payload[key] = value;
        }
        return true;
    }

    public bool Delete(DeletePoints delete)
    {
        foreach (var id in Matching(delete.Points.Filter).ToList())
            Points.Remove(id);
        return true;
    }

    public GetResponse Get(GetPoints get)
    {
        var response = new GetResponse();
        foreach (var id in get.Ids.Where(id => Points.ContainsKey(Id(id))))
            response.Result.Add(new RetrievedPoint { Id = id });
        return response;
    }

    /// <summary>Exact cosine over the points passing the filter, the best point per group value, the best <c>limit</c> groups.</summary>
    public GroupsResult Groups(QueryPointGroups query)
    {
        var q = query.Query.Nearest.Dense.Data.ToArray();
        var best = new Dictionary<string, (string Id, float Score)>();
        foreach (var id in Matching(query.Filter))
        {
            string group = Points[id].Payload[query.GroupBy].StringValue;
            float score = Cosine(q, Points[id].Vector);
            if (!best.TryGetValue(group, out var current) || score > current.Score)
                best[group] = (id, score);
        }
        var result = new GroupsResult();
        foreach (var (group, (id, score)) in best.OrderByDescending(g => g.Value.Score).Take((int)query.Limit))
        {
            var hit = new ScoredPoint { Id = new PointId { Uuid = id }, Score = score };
            foreach (var field in query.WithPayload.Include.Fields)
                hit.Payload[field] = Points[id].Payload[field];
            result.Groups.Add(new PointGroup { Id = new GroupId { StringValue = group }, Hits = { hit } });
        }
        return result;
    }

    public FacetResponse Facet(FacetCounts facet)
    {
        var response = new FacetResponse();
        foreach (var value in Matching(facet.Filter).GroupBy(id => Points[id].Payload[facet.Key].StringValue).OrderByDescending(g => g.Count()).Take((int)facet.Limit))
            response.Hits.Add(new FacetHit { Value = new FacetValue { StringValue = value.Key }, Count = (ulong)value.Count() });
        return response;
    }

    public IEnumerable<string> Matching(Filter? filter) => Points.Keys.Where(id => filter is null || filter.Must.All(c => Passes(Points[id].Payload, c)));

    private static bool Passes(Dictionary<string, Value> payload, Condition condition)
    {
        var field = condition.Field ?? throw new NotSupportedException($"condition {condition} is not in the fake");
        if (!payload.TryGetValue(field.Key, out var value))
            return false;
        return field.Match.MatchValueCase switch
        {
            Match.MatchValueOneofCase.Keyword => value.StringValue == field.Match.Keyword,
            Match.MatchValueOneofCase.Keywords => field.Match.Keywords.Strings.Contains(value.StringValue),
            Match.MatchValueOneofCase.Integer => value.IntegerValue == field.Match.Integer,
            _ => throw new NotSupportedException($"match {field.Match} is not in the fake"),
        };
    }

    private static string Id(PointId id) => id.HasUuid ? id.Uuid : id.Num.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return (float)(dot / Math.Sqrt(na * nb));
    }
}
