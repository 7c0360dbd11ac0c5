using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Tests.Contract;

/// <summary>
/// The one contract (<see cref="VectorIndexContract"/>) against every backend: the embedded index and
/// the Qdrant index over the in-process fake always, a real Qdrant server when QDRANT_URL is set
/// (e.g. http://localhost:6334); without it that half is reported as skipped, with the reason.
/// </summary>
public class ContractTests
{
    [Theory]
    [MemberData(nameof(VectorIndexContract.Cases), MemberType = typeof(VectorIndexContract))]
    public void Embedded(string @case)
    {
        using var backend = new EmbeddedBackend();
        VectorIndexContract.Run(@case, backend);
    }

    [Theory]
    [MemberData(nameof(VectorIndexContract.Cases), MemberType = typeof(VectorIndexContract))]
    public void QdrantOnFakeServer(string @case)
    {
        using var backend = new QdrantBackend(new FakeQdrant());
        VectorIndexContract.Run(@case, backend);
    }

    [QdrantServerTheory]
    [MemberData(nameof(VectorIndexContract.Cases), MemberType = typeof(VectorIndexContract))]
    public void QdrantServer(string @case)
    {
        var endpoint = QdrantEndpoint.Parse(QdrantServerTheoryAttribute.Url!);
        using var channel = QdrantChannel.ForAddress(endpoint.Address, new ClientConfiguration { ApiKey = Environment.GetEnvironmentVariable("QDRANT_API_KEY") });
        var invoker = channel.CreateCallInvoker();
        QdrantBackend? backend = null;
        backend = new QdrantBackend(invoker, () =>
        {
            var collections = new QdrantGrpcClient(invoker).Collections;
            foreach (var name in backend!.Collections)
                collections.Delete(new DeleteCollection { CollectionName = name });
        });
        using (backend)
            VectorIndexContract.Run(@case, backend);
    }
}

/// <summary>A theory that runs only when QDRANT_URL names a server, and otherwise says in the test output that it was not run.</summary>
public sealed class QdrantServerTheoryAttribute : TheoryAttribute
{
    public static string? Url => Environment.GetEnvironmentVariable("QDRANT_URL") is { Length: > 0 } url ? url : null;

    public QdrantServerTheoryAttribute()
    {
        if (Url is null)
            Skip = "QDRANT_URL is not set: the contract suite's Qdrant-server half was NOT run (set QDRANT_URL=http://HOST:6334 to run it against a real server)";
    }
}
