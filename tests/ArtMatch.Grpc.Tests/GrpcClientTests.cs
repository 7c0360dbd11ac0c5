using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArtMatch.Grpc.Tests;

/// <summary>Our own HttpClient-based client (what the CLI uses) against a real Kestrel.</summary>
public sealed class GrpcClientTests
{
    [Fact]
    public async Task UnaryAsync_Say_Reply()
    {
        await using var server = await KestrelGrpcServer.StartAsync();
        using var client = GrpcClient.ForAddress(server.Address);

        var reply = await client.UnaryAsync("/test.echo.v1.Echo/Say", new EchoRequest { Text = "über" }, EchoReply.Parser);

        Assert.Equal("über", reply.Text);
    }

    [Fact]
    public async Task UnaryAsync_HostPortWithoutScheme_Reply()
    {
        await using var server = await KestrelGrpcServer.StartAsync();
        using var client = GrpcClient.ForAddress($"127.0.0.1:{server.Port}");

        var reply = await client.UnaryAsync("/test.echo.v1.Echo/Say", new EchoRequest { Text = "x" }, EchoReply.Parser);

        Assert.Equal("x", reply.Text);
    }

    [Fact]
    public async Task UnaryAsync_ServerFails_RpcExceptionWithStatus()
    {
        await using var server = await KestrelGrpcServer.StartAsync();
        using var client = GrpcClient.ForAddress(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryAsync("/test.echo.v1.Echo/Fail", new EchoRequest { Code = (int)StatusCode.InvalidArgument, Text = "not an image: 0 bytes" }, EchoReply.Parser));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("not an image: 0 bytes", error.Status.Detail);
    }

    [Fact]
    public async Task UnaryAsync_Timeout_DeadlineExceeded()
    {
        await using var server = await KestrelGrpcServer.StartAsync();
        using var client = GrpcClient.ForAddress(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryAsync("/test.echo.v1.Echo/Sleep", new EchoRequest(), EchoReply.Parser, timeout: TimeSpan.FromMilliseconds(200)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_Metadata_ReachesInterceptor()
    {
        var options = new GrpcServerOptions
        {
            Interceptor = context =>
            {
                context.Caller = context.GetMetadata("x-officer") ?? throw new RpcException(StatusCode.Unauthenticated, "who?");
                return Task.CompletedTask;
            },
        };
        await using var server = await KestrelGrpcServer.StartAsync(options);
        using var client = GrpcClient.ForAddress(server.Address);

        var reply = await client.UnaryAsync("/test.echo.v1.Echo/Say", new EchoRequest { Text = "hi" }, EchoReply.Parser,
            metadata: new Dictionary<string, string> { ["x-officer"] = "k9" });

        Assert.Equal("k9:hi", reply.Text);
    }

    [Fact]
    public async Task CallAsync_Expand_AllReplies()
    {
        await using var server = await KestrelGrpcServer.StartAsync();
        using var client = GrpcClient.ForAddress(server.Address);

        var replies = await client.CallAsync("/test.echo.v1.Echo/Expand", [new EchoRequest { Text = "t", Repeat = 4 }], EchoReply.Parser);

        Assert.Equal([0, 1, 2, 3], replies.Select(r => r.Index));
    }

    [Fact]
    public async Task CallAsync_StreamLongerThanKestrelBodyLimit_EveryMessageRead()
    {
        // Kestrel caps a whole request body; a gRPC stream is many messages, each capped on its own.
        await using var server = await KestrelGrpcServer.StartAsync(maxRequestBodySize: 1024);
        using var client = GrpcClient.ForAddress(server.Address);
        var photo = ByteString.CopyFrom(new byte[600]);

        var replies = await client.CallAsync("/test.echo.v1.Echo/Collect",
            Enumerable.Range(0, 4).Select(i => new EchoRequest { Text = $"{i}", Payload = photo }), EchoReply.Parser);

        Assert.Equal("0+1+2+3", Assert.Single(replies).Text);
    }

    [Fact]
    public async Task UnaryAsync_UnknownMethod_Unimplemented()
    {
        await using var server = await KestrelGrpcServer.StartAsync();
        using var client = GrpcClient.ForAddress(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync("/artmatch.v1.ArtMatch/Match", new EchoRequest(), EchoReply.Parser));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("Method not found: /artmatch.v1.ArtMatch/Match", error.Status.Detail);
    }
}
