using ArtMatch.Server.Hosting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Server.Api;

/// <summary>
/// Turns what a handler throws into the status the caller gets (<see cref="DomainStatus"/>). A
/// cancellation after the deadline passed or the caller left is the framework's to answer
/// (DEADLINE_EXCEEDED, or nobody to tell). Any other exception is a server fault: logged with its
/// stack, answered INTERNAL without internals.
/// </summary>
public sealed class DomainErrorInterceptor(ILogger<DomainErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        context.GetHttpContext().Items[Hosting.ExactMethodNamesMiddleware.HandlerRan] = true;
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception error) when (Translate(error, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception error) when (Translate(error, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        context.GetHttpContext().Items[Hosting.ExactMethodNamesMiddleware.HandlerRan] = true;
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception error) when (Translate(error, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception error) when (Translate(error, context) is { } status)
        {
            throw status;
        }
    }

    /// <summary>The exception to throw instead, or null to let the original through.</summary>
    private RpcException? Translate(Exception error, ServerCallContext context)
    {
        if (error is RpcException rpc)
            return rpc.Status.Detail.Length > RequestLimits.MaxDetailLength ? new RpcException(RequestLimits.Bounded(rpc.Status), rpc.Trailers) : null;
        if (error is OperationCanceledException or IOException && context.CancellationToken.IsCancellationRequested)
            return null;
        if (DomainStatus.Of(error) is { } status)
            return new RpcException(RequestLimits.Bounded(status));
        ServerLog.UnexpectedError(logger, context.Method, error);
        return new RpcException(new Status(StatusCode.Internal, $"{context.Method} failed inside the server; its log has the details.", error));
    }
}
