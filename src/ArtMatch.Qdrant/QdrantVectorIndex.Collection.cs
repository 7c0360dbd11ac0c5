using ArtMatch.Core.Catalog;
using ArtMatch.Qdrant.Internal;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant;

/// <summary>The model's collection: created with its payload indexes when missing, checked when present.</summary>
public sealed partial class QdrantVectorIndex
{
    private void EnsureCollection(string modelId)
    {
        bool exists = Call(o => _collections.CollectionExistsAsync(new CollectionExistsRequest { CollectionName = Collection }, o)).Result.Exists;
        if (!exists)
        {
            try
            {
                Call(o => _collections.CreateAsync(_requests.CreateCollection(), o));
            }
            catch (VectorIndexException e) when (e.InnerException is RpcException { StatusCode: StatusCode.AlreadyExists })
            {
                // Another node created it meanwhile: checked below like any existing collection.
            }
            // Creating an index that exists is a no-op for Qdrant, so a node that lost the race repeats them harmlessly.
            foreach (var index in _requests.PayloadIndexes())
                Call(o => _points.CreateFieldIndexAsync(index, o));
        }
        var info = Call(o => _collections.GetAsync(new GetCollectionInfoRequest { CollectionName = Collection }, o)).Result;
        if (Mismatch(info.Config, modelId) is { } problem)
        {
            throw new VectorIndexException(
                $"Qdrant collection {Collection} {problem}, but this ArtMatch embeds {Dimension}-d vectors of {modelId}. " +
                $"Point --index at this model's own collection (leave the path out: {CollectionNames.For(modelId, Dimension)}), " +
                "copy a store's vectors there with `artmatch index export --store DIR --to URL`, or delete the collection.");
        }
    }

    /// <summary>What makes the collection unfit for this model's vectors, or null.</summary>
    internal string? Mismatch(CollectionConfig config, string modelId)
    {
        var vectors = config.Params?.VectorsConfig;
        if (vectors?.ConfigCase != VectorsConfig.ConfigOneofCase.Params)
            return "has named vectors (not a collection ArtMatch made)";
        string? model = config.Metadata.TryGetValue(QdrantRequests.ModelKey, out var value) ? value.StringValue : null;
        if ((model is not null && model != modelId) || vectors.Params.Size != (ulong)Dimension)
            return $"holds {vectors.Params.Size}-d vectors{(model is null ? "" : " of " + model)}";
        if (vectors.Params.Distance != Distance.Cosine)
            return $"compares by {vectors.Params.Distance} distance, not cosine";
        return null;
    }
}
