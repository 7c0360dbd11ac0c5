using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ArtMatch.Server.Api;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ArtMatch.Server.Hosting;

/// <summary>The gRPC side of the server, on Grpc.AspNetCore: options, interceptors, services and ports.</summary>
public static class GrpcHostingExtensions
{
    /// <summary>
    /// Message limits and response compression through grpc-dotnet's options; <see cref="DomainErrorInterceptor"/>
    /// for every call, then <see cref="ApiKeyInterceptor"/> when there is a keys file (interceptors run
    /// in the order added); the ArtMatch service, Grpc.HealthCheck's health service kept in step by
    /// <see cref="HealthReporter"/>, and reflection.
    /// </summary>
    public static IServiceCollection AddArtMatchGrpc(this IServiceCollection services, ArtMatchEngine engine, ServerSettings settings)
    {
        var keys = settings.ApiKeysFile is { } file ? ApiKeys.Load(file) : null;
        services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = settings.MaxMessageBytes;
            options.MaxSendMessageSize = settings.MaxMessageBytes;
            // Only when the caller says it accepts gzip (grpc-accept-encoding).
            options.ResponseCompressionAlgorithm = "gzip";
            options.ResponseCompressionLevel = CompressionLevel.Fastest;
            options.Interceptors.Add<DomainErrorInterceptor>();
            if (keys is not null)
                options.Interceptors.Add<ApiKeyInterceptor>();
        });
        if (keys is not null)
            services.AddSingleton(keys);
        services.AddSingleton(engine);
        services.AddSingleton(new AdmissionControl(settings.Admission));
        services.AddSingleton<ArtMatchService>();
        services.AddSingleton<HealthServiceImpl>();
        services.AddHostedService<HealthReporter>();
        services.AddGrpcReflection();
        return services;
    }

    public static WebApplication MapArtMatchGrpc(this WebApplication app)
    {
        app.MapGrpcService<ArtMatchService>();
        // Load balancers and probes call health without a key. Reflection describes the whole API, so
        // on a server with keys it needs one (any role); without keys the server is on loopback only.
        app.MapGrpcService<HealthServiceImpl>().AllowAnonymous();
        app.MapGrpcReflectionService().WithMetadata(new RequiresRoleAttribute(ApiRole.Officer));
        return app;
    }

    /// <summary>
    /// The gRPC port: with a certificate, TLS offering HTTP/2 and HTTP/1.1 by ALPN (an HTTP/1.1 caller
    /// gets grpc-dotnet's 426); without, cleartext HTTP/2 with prior knowledge only (Kestrel cannot
    /// offer both without TLS, so an HTTP/1.1 caller is refused when the connection opens). The
    /// metrics port, when asked for, is plain HTTP/1.1. Both listen where <see cref="ServerSettings.ListenAddress"/>
    /// says: loopback only without API keys.
    /// </summary>
    /// <summary>
    /// Kestrel's limits set deliberately, so idle, half-open or trickling connections are closed
    /// rather than held: a connection with no call open closes after 30 s (KeepAliveTimeout; gRPC
    /// clients reconnect on their next call); headers (and an HTTP/2 preface) must arrive within 10 s;
    /// a request body must keep to 1 KB/s after a 10 s grace (grpc-dotnet lifts this for streaming
    /// calls); a peer that stops answering HTTP/2 pings for 20 s is dropped; 32 calls per connection;
    /// at most 1024 connections.
    /// </summary>
    internal static void SetConnectionLimits(KestrelServerLimits limits)
    {
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(10));
        limits.MaxConcurrentConnections = 1024;
        limits.Http2.MaxStreamsPerConnection = 32;
        limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
    }

    public static void ListenForArtMatch(this KestrelServerOptions kestrel, ServerSettings settings)
    {
        // A photo message may pass Kestrel's 30 MB body cap; grpc-dotnet enforces MaxMessageBytes per message.
        kestrel.Limits.MaxRequestBodySize = null;
        SetConnectionLimits(kestrel.Limits);
        var address = settings.ListenAddress();
        void Listen(int port, Action<ListenOptions> configure)
        {
            if (address is null)
                kestrel.ListenLocalhost(port, configure);
            else if (address.Equals(IPAddress.IPv6Any))
                kestrel.ListenAnyIP(port, configure);
            else
                kestrel.Listen(address, port, configure);
        }
        Listen(settings.Port, listen =>
        {
            if (settings.TlsCertificate is { } cert && settings.TlsKey is { } key)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(X509Certificate2.CreateFromPemFile(cert, key));
            }
            else
            {
                listen.Protocols = HttpProtocols.Http2;
            }
        });
        if (settings.MetricsPort is { } metricsPort)
            Listen(metricsPort, listen => listen.Protocols = HttpProtocols.Http1);
    }
}
