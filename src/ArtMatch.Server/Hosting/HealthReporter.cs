using ArtMatch.Server.Api;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// Keeps grpc.health.v1.Health (Grpc.HealthCheck's service) in step with the server: the whole
/// server ("") is SERVING while it runs, the way a liveness probe asks; artmatch.v1.ArtMatch is
/// SERVING only while the catalogue is ready (<see cref="ArtMatchEngine.IsReady"/>: not while the
/// store loads or re-learns), the way a readiness probe or a load balancer asks. Both turn
/// NOT_SERVING when the server starts to stop.
/// </summary>
internal sealed class HealthReporter(HealthServiceImpl health, ArtMatchEngine engine, IHostApplicationLifetime lifetime, ILogger<HealthReporter> logger)
    : IHostedService
{
    private readonly Lock _gate = new();
    private bool _stopping;
    private HealthCheckResponse.Types.ServingStatus? _reported;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
        engine.ReadinessChanged += Update;
        lifetime.ApplicationStopping.Register(() =>
        {
            lock (_gate)
                _stopping = true;
            health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
            Update();
        });
        Update();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        engine.ReadinessChanged -= Update;
        return Task.CompletedTask;
    }

    // Under the lock the status set is the one read last, whatever order the events arrive in.
    private void Update()
    {
        lock (_gate)
        {
            var status = engine.IsReady && !_stopping ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
            if (status == _reported)
                return;
            _reported = status;
            health.SetStatus(ArtMatchService.ServiceName, status);
            ServerLog.Readiness(logger, status.ToString());
        }
    }
}
