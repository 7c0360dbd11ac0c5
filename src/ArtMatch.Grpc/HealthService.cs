using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Health.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace ArtMatch.Grpc;

/// <summary>grpc.health.v1.Health: the serving status of the server ("") and of each named service.</summary>
public sealed class HealthService
{
    public const string ServiceName = "grpc.health.v1.Health";

    private readonly ConcurrentDictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Channel<ServingStatus>, string> _watchers = new();

    /// <summary>Starts with the whole server ("") SERVING; set NOT_SERVING while draining or loading.</summary>
    public HealthService() => _statuses[""] = ServingStatus.Serving;

    public void SetStatus(string service, ServingStatus status)
    {
        _statuses[service] = status;
        foreach (var (channel, watched) in _watchers)
        {
            if (watched == service)
                channel.Writer.TryWrite(status);
        }
    }

    public GrpcServiceRegistry Register(GrpcServiceRegistry registry) => registry
        .AddFile(HealthReflection.Descriptor)
        .AddUnary<HealthCheckRequest, HealthCheckResponse>(ServiceName, "Check", HealthCheckRequest.Parser, Check)
        .AddServerStreaming<HealthCheckRequest, HealthCheckResponse>(ServiceName, "Watch", HealthCheckRequest.Parser, Watch);

    private Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        _statuses.TryGetValue(request.Service, out var status)
            ? Task.FromResult(new HealthCheckResponse { Status = status })
            : throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");

    private async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> writer, ServerCallContext context)
    {
        var channel = Channel.CreateUnbounded<ServingStatus>();
        _watchers[channel] = request.Service;
        try
        {
            channel.Writer.TryWrite(_statuses.TryGetValue(request.Service, out var current) ? current : ServingStatus.ServiceUnknown);
            await foreach (var status in channel.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
                await writer.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _watchers.TryRemove(channel, out _);
        }
    }
}
