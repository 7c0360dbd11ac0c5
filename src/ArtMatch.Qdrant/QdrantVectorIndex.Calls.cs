using ArtMatch.Core.Catalog;
using Grpc.Core;

namespace ArtMatch.Qdrant;

/// <summary>Requests with a deadline, blocking where the interface is synchronous; failures as <see cref="VectorIndexException"/>.</summary>
public sealed partial class QdrantVectorIndex
{
    private T Call<T>(Func<CallOptions, AsyncUnaryCall<T>> call) => Wait(CallAsync(call));

    private async Task<T> CallAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call)
    {
        try
        {
            using var pending = call(new CallOptions(deadline: DateTime.UtcNow + _timeout));
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw Failure(e);
        }
    }

    private static T Wait<T>(Task<T> task)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (AggregateException e) when (e.InnerException is VectorIndexException inner)
        {
            throw inner;
        }
    }

    private VectorIndexException Failure(RpcException e)
    {
        bool unavailable = e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;
        string what = e.StatusCode switch
        {
            StatusCode.Unavailable => "cannot be reached",
            StatusCode.DeadlineExceeded => $"did not answer within {_timeout.TotalSeconds:0} s",
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => "refused the API key (set QDRANT_API_KEY or index.api_key)",
            _ => "failed",
        };
        return new VectorIndexException($"Qdrant collection {Collection} {what}: {e.Status.Detail}", unavailable, e);
    }
}
