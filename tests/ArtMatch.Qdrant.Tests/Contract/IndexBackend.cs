using ArtMatch.Core.Catalog;

namespace ArtMatch.Qdrant.Tests.Contract;

/// <summary>A vector index implementation the contract runs against, with what each test needs from it.</summary>
public abstract class IndexBackend : IDisposable
{
    /// <summary>An index of <paramref name="modelId"/>'s vectors; opening the same model again (a restart) sees the rows a durable backend kept.</summary>
    public abstract IVectorIndex OpenIndex(string modelId, int dimension);

    /// <summary>What a store opens its vectors with: null for the store's own embedded index.</summary>
    public abstract Func<string, int, IVectorIndex>? StoreIndex { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>The embedded index: in memory, made durable by the SQLite store around it.</summary>
public sealed class EmbeddedBackend : IndexBackend
{
    public override IVectorIndex OpenIndex(string modelId, int dimension) => new Storage.EmbeddedVectorIndex(dimension);

    public override Func<string, int, IVectorIndex>? StoreIndex => null;
}

/// <summary>
/// <see cref="QdrantVectorIndex"/> over a call invoker: the in-process <see cref="FakeQdrant"/>, or a real
/// server's channel. Collections get a per-backend prefix so that runs against a shared server do not meet.
/// </summary>
public sealed class QdrantBackend(Grpc.Core.CallInvoker invoker, Action? cleanup = null) : IndexBackend
{
    private readonly string _prefix = $"t{Guid.NewGuid():N}"[..9] + "_";
    private readonly List<string> _collections = [];

    public IReadOnlyList<string> Collections => _collections;

    public override IVectorIndex OpenIndex(string modelId, int dimension)
    {
        string collection = _prefix + CollectionNames.For(modelId, dimension);
        lock (_collections)
        {
            if (!_collections.Contains(collection))
                _collections.Add(collection);
        }
        return QdrantVectorIndex.Open(invoker, collection, modelId, dimension, new Core.Configuration.VectorIndexSettings { BatchSize = 16 });
    }

    public override Func<string, int, IVectorIndex>? StoreIndex => OpenIndex;

    public override void Dispose()
    {
        cleanup?.Invoke();
        base.Dispose();
    }
}
