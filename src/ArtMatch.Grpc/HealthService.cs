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
    private readonly Lock _gate = new();

    /// <summary>Starts with the whole server ("") SERVING; set NOT_SERVING while draining or loading.</summary>
    public HealthService() => _statuses[""] = ServingStatus.Serving;

    /// <summary>Sets a service's status ("" for the whole server) and tells its watchers if it changed.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        lock (_gate)
        {
            if (_statuses.TryGetValue(service, out var previous) && previous == status)
                return;
            _statuses[service] = status;
            foreach (var (channel, watched) in _watchers)
            {
                if (watched == service)
                    channel.Writer.TryWrite(status);
            }
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
        try
        {
            // Under the lock so that no change slips in between the current status and the next one.
            lock (_gate)
            {
                _watchers[channel] = request.Service;
                channel.Writer.TryWrite(_statuses.TryGetValue(request.Service, out var current) ? current : ServingStatus.ServiceUnknown);
            }
            await foreach (var status in channel.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
                await writer.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _watchers.TryRemove(channel, out _);
        }
    }
}
