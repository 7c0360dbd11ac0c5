using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;
using Grpc.Health.V1;

namespace ArtMatch.Grpc.Tests;

public sealed class InterceptorTests
{
    // What the server's API-key check will look like: a bearer key in metadata, a role per key.
    private static readonly GrpcServerOptions KeyedOptions = new()
    {
        Interceptor = context =>
        {
            string? authorization = context.GetMetadata("authorization");
            if (authorization is null)
                throw new RpcException(StatusCode.Unauthenticated, "Missing 'authorization: Bearer <key>' metadata.");
            if (authorization != "Bearer officer-key")
                throw new RpcException(StatusCode.PermissionDenied, "This key may not call " + context.Method.FullName + ".");
            context.Caller = "officer";
            return Task.CompletedTask;
        },
    };

    private static byte[] SayHi => TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "hi" }));

    [Fact]
    public async Task Say_NoKey_UnauthenticatedTrailersOnly()
    {
        await using var host = await TestGrpcHost.StartAsync(KeyedOptions);

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", SayHi);

        Assert.Equal(StatusCode.Unauthenticated, response.Status);
        Assert.Equal("Missing 'authorization: Bearer <key>' metadata.", response.Message);
        Assert.True(response.IsTrailersOnly);
    }

    [Fact]
    public async Task Say_WrongKey_PermissionDeniedNamingMethod()
    {
        await using var host = await TestGrpcHost.StartAsync(KeyedOptions);

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", SayHi, ("authorization", "Bearer guess"));

        Assert.Equal(StatusCode.PermissionDenied, response.Status);
        Assert.Equal("This key may not call /test.echo.v1.Echo/Say.", response.Message);
    }

    [Fact]
    public async Task Say_GoodKey_HandlerSeesCallerSetByInterceptor()
    {
        await using var host = await TestGrpcHost.StartAsync(KeyedOptions);

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", SayHi, ("authorization", "Bearer officer-key"));

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("officer:hi", EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Text);
    }

    [Fact]
    public async Task Chat_NoKey_RefusedBeforeAnyMessage()
    {
        await using var host = await TestGrpcHost.StartAsync(KeyedOptions);

        var response = await host.CallAsync("/test.echo.v1.Echo/Chat", SayHi);

        Assert.Equal(StatusCode.Unauthenticated, response.Status);
        Assert.Empty(response.Messages());
    }

    [Fact]
    public async Task HealthCheck_PublicServiceNoKey_Serving()
    {
        await using var host = await TestGrpcHost.StartAsync(KeyedOptions);

        var response = await host.CallAsync("/grpc.health.v1.Health/Check", TestGrpcHost.Frame([])); // empty request: service ""

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(Assert.Single(response.Messages())).Status);
    }
}
