using ArtMatch.Grpc;
using ArtMatch.Server.Hosting;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Client = ArtMatch.Grpc.Api.V1.ArtMatch.ArtMatchClient;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// The real server (ArtMatchServer.Build: Grpc.AspNetCore, interceptors, health, reflection) on
/// TestServer, called through Grpc.Net.Client and the generated client. <see cref="Wire"/> sees
/// every HTTP response, for what the generated client hides (compression headers).
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessServer(WebApplication app, Uri address, HttpMessageHandler handler)
    {
        _app = app;
        Wire = new ResponseRecorder(handler);
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = Wire,
            MaxReceiveMessageSize = ArtMatchChannel.MaxMessageBytes,
            MaxSendMessageSize = ArtMatchChannel.MaxMessageBytes,
        });
    }

    public GrpcChannel Channel { get; }

    public ResponseRecorder Wire { get; }

    public IServiceProvider Services => _app.Services;

    public Client Client(string? apiKey = null) => Channel.CreateArtMatchClient(apiKey);

    public Health.HealthClient Health() => new(Channel);

    /// <param name="kestrel">
    /// Real Kestrel on a free local port instead of TestServer: for deadlines and cancellation while a
    /// handler runs, which TestServer does not deliver to the client until the handler returns.
    /// </param>
    /// <param name="aborts">Told of every request the server sees aborted (a caller's reset).</param>
    public static async Task<InProcessServer> StartAsync(ArtMatchEngine engine, ServerSettings settings, LogCapture? logs = null, bool kestrel = false, AbortWatch? aborts = null)
    {
        if (kestrel)
            settings = settings with { Port = EngineFixture.FreePort() };
        var app = ArtMatchServer.Build(engine, settings, builder =>
        {
            if (!kestrel)
                builder.WebHost.UseTestServer();
            if (logs is not null)
            {
                builder.Logging.AddProvider(logs);
                builder.Logging.AddFilter<LogCapture>(null, LogLevel.Information);
            }
            if (aborts is not null)
                builder.Services.AddSingleton<IStartupFilter>(aborts);
        });
        await app.StartAsync();
        return kestrel
            ? new InProcessServer(app, new Uri($"http://127.0.0.1:{settings.Port}"), new SocketsHttpHandler())
            : new InProcessServer(app, app.GetTestServer().BaseAddress, app.GetTestServer().CreateHandler());
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Passes requests on and keeps the last response's headers (grpc-encoding and the like).</summary>
public sealed class ResponseRecorder(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public HttpResponseMessage? Last { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        Last = response;
        return response;
    }
}

/// <summary>
/// Completes <see cref="Aborted"/> when the server sees a request aborted. A caller's cancellation
/// reaches the server as a stream reset some time after the client gives up; a test that lets a held
/// handler go on must wait for it, or the handler may finish first and answer normally.
/// </summary>
public sealed class AbortWatch : IStartupFilter
{
    public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.RequestAborted.Register(() => Aborted.TrySetResult());
            return nextMiddleware(context);
        });
        next(app);
    };
}
