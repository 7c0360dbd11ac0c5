using ArtMatch.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Server.Hosting;

/// <summary>Builds the server: Kestrel, the gRPC services (Grpc.AspNetCore) and the metrics port.</summary>
public static class ArtMatchServer
{
    /// <param name="configure">A last say over the builder (tests put TestServer in Kestrel's place).</param>
    public static WebApplication Build(ArtMatchEngine engine, ServerSettings settings, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Start-up failures (port in use) surface as exceptions the CLI reports in one line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenForArtMatch(settings));
        configure?.Invoke(builder);
        builder.Services.AddArtMatchGrpc(engine, settings);
        builder.Services.AddArtMatchMetrics(settings);

        var app = builder.Build();
        engine.Log = app.Services.GetRequiredService<ILogger<ArtMatchEngine>>();
        app.UseArtMatchMetrics(settings);
        app.UseExactGrpcMethodNames();
        app.MapArtMatchGrpc();
        return app;
    }
}
