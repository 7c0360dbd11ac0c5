using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Grpc.Tests.Support;

/// <summary>A real Kestrel on a free loopback port, cleartext HTTP/2 only, serving echo, health and reflection.</summary>
internal sealed class KestrelGrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelGrpcServer(WebApplication app, EchoService echo, int port)
    {
        _app = app;
        Echo = echo;
        Port = port;
    }

    public EchoService Echo { get; }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    public static async Task<KestrelGrpcServer> StartAsync(GrpcServerOptions? options = null, long? maxRequestBodySize = 30_000_000)
    {
        var echo = new EchoService();
        var registry = new GrpcServiceRegistry();
        echo.Register(registry);
        new HealthService().Register(registry);
        new ReflectionService(registry).Register(includeV1: true);
        var (app, port) = await KestrelRegistryServer.StartAppAsync(registry, options, maxRequestBodySize);
        return new KestrelGrpcServer(app, echo, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A real Kestrel serving whatever a test registered.</summary>
internal sealed class KestrelRegistryServer(WebApplication app, int port) : IAsyncDisposable
{
    public string Address => $"http://127.0.0.1:{port}";

    public static async Task<KestrelRegistryServer> StartAsync(GrpcServiceRegistry registry, GrpcServerOptions? options = null)
    {
        var (app, port) = await StartAppAsync(registry, options, 30_000_000);
        return new KestrelRegistryServer(app, port);
    }

    internal static async Task<(WebApplication App, int Port)> StartAppAsync(GrpcServiceRegistry registry, GrpcServerOptions? options, long? maxRequestBodySize)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = maxRequestBodySize;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.MapGrpcServices(registry, options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
