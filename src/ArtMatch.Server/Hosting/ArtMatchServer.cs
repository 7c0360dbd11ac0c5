using System.Security.Cryptography.X509Certificates;
using ArtMatch.Grpc;
using ArtMatch.Server.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace ArtMatch.Server.Hosting;

/// <summary>Builds the gRPC server: Kestrel (HTTP/2), the ArtMatch API, health, reflection and API keys.</summary>
public static class ArtMatchServer
{
    public static WebApplication Build(ArtMatchEngine engine, ServerSettings settings, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Start-up failures (port in use) surface as exceptions the CLI reports in one line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Message sizes are enforced per gRPC message; a stream of photos may be long.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.ListenAnyIP(settings.Port, listen =>
            {
                if (settings.TlsCertificate is { } cert && settings.TlsKey is { } key)
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(cert, key));
                }
                else
                {
                    // Cleartext gRPC is HTTP/2 with prior knowledge; Kestrel can only offer that alone.
                    listen.Protocols = HttpProtocols.Http2;
                }
            });
        });
        configure?.Invoke(builder);
        builder.Services.AddRouting();
        var app = builder.Build();

        var registry = new GrpcServiceRegistry();
        new ArtMatchApi(engine).Register(registry);
        var health = new HealthService();
        health.Register(registry);
        new ReflectionService(registry).Register();
        health.SetStatus("", ServingStatus.Serving);
        health.SetStatus(ArtMatchApi.ServiceName, ServingStatus.Serving);

        var keys = settings.ApiKeysFile is { } file ? ApiKeys.Load(file) : null;
        var options = new GrpcServerOptions
        {
            MaxReceiveMessageSize = settings.MaxMessageBytes,
            MaxSendMessageSize = settings.MaxMessageBytes,
            EnableResponseCompression = true,
            Interceptor = keys is null ? null : keys.AuthorizeAsync,
            PublicServices = new HashSet<string> { HealthService.ServiceName, ReflectionService.ServiceName },
        };
        app.UseRouting();
        app.MapGrpcServices(registry, options);
        app.Lifetime.ApplicationStopping.Register(() => health.SetStatus("", ServingStatus.NotServing));
        return app;
    }
}
