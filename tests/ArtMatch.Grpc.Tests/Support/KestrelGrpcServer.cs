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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = maxRequestBodySize;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        var echo = new EchoService();
        var registry = new GrpcServiceRegistry();
        echo.Register(registry);
        new HealthService().Register(registry);
        new ReflectionService(registry).Register();
        app.MapGrpcServices(registry, options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new KestrelGrpcServer(app, echo, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
