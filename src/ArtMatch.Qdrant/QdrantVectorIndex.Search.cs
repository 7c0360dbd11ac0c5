using ArtMatch.Core.Catalog;
using ArtMatch.Qdrant.Internal;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant;

/// <summary>Searches: grouped queries per object, scoring named objects, the objects a filter allows.</summary>
public sealed partial class QdrantVectorIndex
{
    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(filter);
        if (k < 1 || queries.Count == 0 || QdrantRequests.MatchesNothing(filter))
            return queries.Select(_ => (IReadOnlyList<VectorHit>)[]).ToList();
        var qdrantFilter = QdrantRequests.For(filter);
        foreach (var query in queries)
            CheckQuery(query);
        // One grouped query per vector, sent together: the photo's global, turned and regional vectors.
        var calls = queries.Select(query => CallAsync(o => _points.QueryGroupsAsync(_requests.Groups(query, k, qdrantFilter), o))).ToList();
        return Wait(Task.WhenAll(calls)).Select(response => (IReadOnlyList<VectorHit>)Hits(response.Result)).ToList();
    }

    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(objectIds);
        if (objectIds.Count == 0)
            return [];
        CheckQuery(query);
        // Few objects: an exact scan of their rows (the filter is on an indexed field).
        var request = _requests.Groups(query, objectIds.Count, QdrantRequests.ObjectsFilter(objectIds), exact: true);
        return Hits(Call(o => _points.QueryGroupsAsync(request, o)).Result);
    }

    public IReadOnlySet<string>? AllowedObjectIds(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.IsEmpty)
            return null;
        if (QdrantRequests.MatchesNothing(filter))
            return new HashSet<string>(StringComparer.Ordinal);
        var recordFilter = QdrantRequests.For(filter with { WholeImagesOnly = false })!;
        // No more distinct objects than points: the count bounds the facet so that none is cut off.
        ulong points = Call(o => _points.CountAsync(_requests.Count(recordFilter), o)).Result.Count;
        if (points == 0)
            return new HashSet<string>(StringComparer.Ordinal);
        var facet = Call(o => _points.FacetAsync(_requests.ObjectIds(recordFilter, points), o));
        return facet.Hits.Select(hit => hit.Value.StringValue).ToHashSet(StringComparer.Ordinal);
    }

    private void CheckQuery(float[] query)
    {
        if (query is null || query.Length != Dimension)
            throw new ArgumentException($"Query has {query?.Length ?? 0} dimensions; collection {Collection} holds {Dimension}-d vectors.");
    }

    /// <summary>One hit per group (its best point), best first, ties by object id as the embedded index orders them.</summary>
    internal static List<VectorHit> Hits(GroupsResult result) =>
        result.Groups.Where(group => group.Hits.Count > 0)
            .Select(group => Hit(group.Id.StringValue, group.Hits[0]))
            .OrderByDescending(hit => hit.Score).ThenBy(hit => hit.ObjectId, StringComparer.Ordinal)
            .ToList();

    private static VectorHit Hit(string objectId, ScoredPoint point)
    {
        string imageId = point.Payload.TryGetValue(Payload.ImageId, out var image) ? image.StringValue : "";
        int region = point.Payload.TryGetValue(Payload.Region, out var row) ? (int)row.IntegerValue : 0;
        return new VectorHit(objectId, imageId, region, point.Score);
    }
}
