using ArtMatch.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace ArtMatch.Server.Metrics;

public static class MetricsExtensions
{
    /// <summary>
    /// <see cref="ArtMatchMetrics"/> always (instruments without a listener cost nothing); with a
    /// metrics port, OpenTelemetry collecting them, ASP.NET Core's own HTTP meters, and the
    /// Prometheus exporter.
    /// </summary>
    public static IServiceCollection AddArtMatchMetrics(this IServiceCollection services, ServerSettings settings)
    {
        services.AddMetrics();
        services.AddSingleton<ArtMatchMetrics>();
        if (settings.MetricsPort is not null)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(ArtMatchMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter());
        }
        return services;
    }

    /// <summary>
    /// Counts gRPC calls; with a metrics port, serves GET /metrics there, and nothing else there (the
    /// gRPC port does not serve /metrics, the metrics port no gRPC).
    /// </summary>
    public static WebApplication UseArtMatchMetrics(this WebApplication app, ServerSettings settings)
    {
        app.UseMiddleware<GrpcCallMetricsMiddleware>();
        if (settings.MetricsPort is { } port)
        {
            app.UseWhen(http => http.Connection.LocalPort == port, metricsPort =>
            {
                metricsPort.UseOpenTelemetryPrometheusScrapingEndpoint();
                metricsPort.Run(http =>
                {
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                });
            });
        }
        return app;
    }
}
