using ArtMatch.Grpc;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace ArtMatch.Grpc.Tests;

/// <summary>
/// An in-process server (TestHost) with a test service built from the health messages:
/// /test.Echo/Unary answers by the request's "service" text, Count counts a client stream,
/// Repeat streams N answers, Ping echoes a bidirectional stream.
/// </summary>
public sealed class TestGrpcServer : IAsyncDisposable
{
    public const string Service = "test.Echo";

    private readonly WebApplication _app;

    public HealthService Health { get; } = new();

    public int CrashCount;

    private TestGrpcServer(GrpcServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddRouting();
        _app = builder.Build();

        var registry = new GrpcServiceRegistry()
            .AddUnary<HealthCheckRequest, HealthCheckResponse>(Service, "Unary", HealthCheckRequest.Parser, UnaryAsync)
            .AddClientStreaming<HealthCheckRequest, HealthCheckResponse>(Service, "Count", HealthCheckRequest.Parser, async (reader, context) =>
            {
                int count = 0;
                await foreach (var _ in reader.ReadAllAsync(context.CancellationToken))
                    count++;
                return new HealthCheckResponse { Status = (ServingStatus)count };
            })
            .AddServerStreaming<HealthCheckRequest, HealthCheckResponse>(Service, "Repeat", HealthCheckRequest.Parser, async (request, writer, context) =>
            {
                for (int i = 0; i < int.Parse(request.Service); i++)
                    await writer.WriteAsync(new HealthCheckResponse { Status = ServingStatus.Serving }, context.CancellationToken);
            })
            .AddDuplexStreaming<HealthCheckRequest, HealthCheckRequest>(Service, "Ping", HealthCheckRequest.Parser, async (reader, writer, context) =>
            {
                await foreach (var message in reader.ReadAllAsync(context.CancellationToken))
                    await writer.WriteAsync(new HealthCheckRequest { Service = "pong:" + message.Service }, context.CancellationToken);
            });
        Health.Register(registry);
        new ReflectionService(registry).Register();
        Health.SetStatus("", ServingStatus.Serving);
        _app.UseRouting();
        _app.MapGrpcServices(registry, options);
    }

    private async Task<HealthCheckResponse> UnaryAsync(HealthCheckRequest request, ServerCallContext context)
    {
        switch (request.Service)
        {
            case "bad":
                throw new RpcException(StatusCode.InvalidArgument, "bad input: 100% ☃ wrong");
            case "crash":
                Interlocked.Increment(ref CrashCount);
                throw new InvalidOperationException("secret internal detail");
            case "slow":
                await Task.Delay(TimeSpan.FromSeconds(30), context.CancellationToken);
                break;
            case "metadata":
                return new HealthCheckResponse { Status = context.GetMetadata("x-test") == "yes" ? ServingStatus.Serving : ServingStatus.NotServing };
        }
        return new HealthCheckResponse { Status = ServingStatus.Serving };
    }

    public static async Task<TestGrpcServer> StartAsync(GrpcServerOptions? options = null)
    {
        var server = new TestGrpcServer(options ?? new GrpcServerOptions { MaxReceiveMessageSize = 1024, EnableResponseCompression = true });
        await server._app.StartAsync();
        return server;
    }

    public HttpClient CreateHttpClient()
    {
        var client = _app.GetTestServer().CreateClient();
        client.DefaultRequestVersion = System.Net.HttpVersion.Version20;
        return client;
    }

    public GrpcClient CreateClient() => new(CreateHttpClient());

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
