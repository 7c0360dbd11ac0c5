using Google.Protobuf;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Tests;

/// <summary>
/// An in-process stand-in for a Qdrant server at the gRPC call level (no Qdrant server can run here):
/// it records every request message the official client sends, and answers the calls the index makes
/// from an in-memory model of Qdrant's documented behaviour (exact cosine, keyword filters, group-by,
/// facets). Its semantics are ours, so the tests on it show the requests and the index's use of the
/// answers, not Qdrant's behaviour; the same contract runs against a real server when QDRANT_URL is set.
/// </summary>
public sealed class FakeQdrant : CallInvoker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FakeCollection> _collections = [];
    private readonly List<(string Method, IMessage Request)> _calls = [];

    /// <summary>When set, a call to this method (e.g. "/qdrant.Points/QueryGroups") fails with this status.</summary>
    public (string Method, StatusCode Status)? FailOn { get; set; }

    public IReadOnlyList<(string Method, IMessage Request)> Calls
    {
        get
        {
            lock (_lock)
                return _calls.ToList();
        }
    }

    public IEnumerable<T> Requests<T>() where T : IMessage => Calls.Select(c => c.Request).OfType<T>();

    public void ClearCalls()
    {
        lock (_lock)
            _calls.Clear();
    }

    /// <summary>A collection as if another deployment had made it (for the refusal tests).</summary>
    public void AddCollection(CreateCollection create)
    {
        lock (_lock)
            _collections[create.CollectionName] = new FakeCollection(create);
    }

    public int PointCount(string collection)
    {
        lock (_lock)
            return _collections.TryGetValue(collection, out var c) ? c.Points.Count : 0;
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Task<TResponse> response;
        try
        {
            response = Task.FromResult((TResponse)Handle(method.FullName, (IMessage)request));
        }
        catch (RpcException e)
        {
            response = Task.FromException<TResponse>(e);
        }
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException(method.FullName);

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException(method.FullName);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException(method.FullName);

    private IMessage Handle(string method, IMessage request)
    {
        lock (_lock)
        {
            // A copy through the wire format: exactly what a server would receive.
            _calls.Add((method, request.Descriptor.Parser.ParseFrom(request.ToByteString())));
            if (FailOn is { } fail && fail.Method == method)
                throw new RpcException(new Status(fail.Status, "injected by the test"));
            return request switch
            {
                CollectionExistsRequest r => new CollectionExistsResponse { Result = new CollectionExists { Exists = _collections.ContainsKey(r.CollectionName) } },
                CreateCollection r => Create(r),
                GetCollectionInfoRequest r => new GetCollectionInfoResponse { Result = Collection(r.CollectionName).Info() },
                CreateFieldIndexCollection r => Done(Collection(r.CollectionName).Indexed.Add(r.FieldName)),
                UpsertPoints r => Done(Collection(r.CollectionName).Upsert(r)),
                SetPayloadPoints r => Done(Collection(r.CollectionName).SetPayload(r)),
                DeletePoints r => Done(Collection(r.CollectionName).Delete(r)),
                CountPoints r => new CountResponse { Result = new CountResult { Count = (ulong)Collection(r.CollectionName).Matching(r.Filter).Count() } },
                GetPoints r => Collection(r.CollectionName).Get(r),
                QueryPointGroups r => new QueryGroupsResponse { Result = Collection(r.CollectionName).Groups(r) },
                FacetCounts r => Collection(r.CollectionName).Facet(r),
                _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"{method} is not in the fake")),
            };
        }
    }

    private CollectionOperationResponse Create(CreateCollection create)
    {
        if (_collections.ContainsKey(create.CollectionName))
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Collection `{create.CollectionName}` already exists!"));
        _collections[create.CollectionName] = new FakeCollection(create);
        return new CollectionOperationResponse { Result = true };
    }

    private FakeCollection Collection(string name) =>
        _collections.TryGetValue(name, out var collection) ? collection : throw new RpcException(new Status(StatusCode.NotFound, $"Collection `{name}` doesn't exist!"));

    private static PointsOperationResponse Done(object _) => new() { Result = new UpdateResult { Status = UpdateStatus.Completed } };
}
