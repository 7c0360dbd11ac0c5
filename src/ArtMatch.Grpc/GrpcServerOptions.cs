namespace ArtMatch.Grpc;

public sealed record GrpcServerOptions
{
    /// <summary>Largest request message accepted (after decompression); larger gets RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest response message sent; larger fails the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Compress responses with gzip when the client says it accepts gzip.</summary>
    public bool EnableResponseCompression { get; init; }

    /// <summary>
    /// Runs before every handler (authentication, authorisation); throw <see cref="RpcException"/> to
    /// refuse the call. Not run for the health and reflection services when they are marked public.
    /// </summary>
    public Func<ServerCallContext, Task>? Interceptor { get; init; }

    /// <summary>
    /// Services callable without passing the interceptor. By default only health checks, which load
    /// balancers make without a key; add <see cref="ReflectionService.ServiceName"/> and <see cref="ReflectionService.V1ServiceName"/> to open reflection.
    /// </summary>
    public IReadOnlySet<string> PublicServices { get; init; } = new HashSet<string>(StringComparer.Ordinal) { HealthService.ServiceName };

    /// <summary>Clock for deadlines (tests substitute a fake).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
