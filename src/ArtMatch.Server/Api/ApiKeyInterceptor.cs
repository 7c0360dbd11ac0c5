using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace ArtMatch.Server.Api;

/// <summary>
/// API keys and roles for every gRPC call (registered when the server has a keys file):
/// UNAUTHENTICATED without a known key, PERMISSION_DENIED when the key's role is below the method's
/// <see cref="RequiresRoleAttribute"/>. Endpoints marked <see cref="IAllowAnonymous"/> pass without a
/// key. The caller's key is left in <see cref="ServerCallContext.UserState"/> for the audit log
/// (<see cref="CallerExtensions.CallerName"/>).
/// </summary>
public sealed class ApiKeyInterceptor(ApiKeys keys) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        var metadata = context.GetHttpContext().GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<IAllowAnonymous>() is not null)
            return;
        string? header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Missing API key: send metadata 'authorization: Bearer <key>'."));
        var key = keys.Find(header[7..].Trim()) ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "Unknown API key."));
        var required = metadata?.GetMetadata<RequiresRoleAttribute>()?.Role ?? ApiRole.Admin;
        if (key.Role < required)
        {
            string method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"{method} needs the {Name(required)} role; key '{key.Name}' is {Name(key.Role)}."));
        }
        context.UserState[typeof(ApiKey)] = key;
    }

    private static string Name(ApiRole role) => role.ToString().ToLowerInvariant();
}

public static class CallerExtensions
{
    /// <summary>The name of the API key that made the call, or null on a server without keys.</summary>
    public static string? CallerName(this ServerCallContext context) =>
        context.UserState.TryGetValue(typeof(ApiKey), out var key) ? ((ApiKey)key).Name : null;

    /// <summary>Who a call counts against for per-caller limits: its key's name, or without keys its client address (no port).</summary>
    public static string CallerKey(this ServerCallContext context)
    {
        if (context.CallerName() is { } name)
            return "key:" + name;
        string peer = context.Peer ?? "";
        int colon = peer.LastIndexOf(':');
        return "peer:" + (colon > 0 ? peer[..colon] : peer);
    }
}
