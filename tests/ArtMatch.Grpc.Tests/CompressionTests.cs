using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;

namespace ArtMatch.Grpc.Tests;

public sealed class CompressionTests
{
    private static readonly EchoRequest Hello = new() { Text = new string('z', 300) };

    [Fact]
    public async Task Say_GzipRequest_Decompressed()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] frame = TestGrpcHost.Frame(Gzip.Compress(EchoService.Bytes(Hello)), flag: 1); // flag 1: compressed

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", frame, ("grpc-encoding", "gzip"));

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal(Hello.Text, EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Text);
    }

    [Fact]
    public async Task Say_GzipDecompressesPastLimit_ResourceExhausted()
    {
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { MaxReceiveMessageSize = 100 });
        // 303 bytes of message squeeze to far fewer than 100: the limit applies after decompression.
        byte[] compressed = Gzip.Compress(EchoService.Bytes(Hello));
        Assert.True(compressed.Length < 100);

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(compressed, flag: 1), ("grpc-encoding", "gzip"));

        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Contains("100 bytes", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_CompressedFlagWithoutEncoding_Internal()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(Gzip.Compress(EchoService.Bytes(Hello)), flag: 1));

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("grpc-encoding", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_NotGzipBytes_InternalNotValidGzip()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] frame = [0x01, 0x00, 0x00, 0x00, 0x03, 0x0A, 0x01, 0x61]; // flagged compressed, plainly not gzip

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", frame, ("grpc-encoding", "gzip"));

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("not valid gzip", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_UnknownEncoding_UnimplementedListingAccepted()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(Hello)), ("grpc-encoding", "snappy"));

        Assert.Equal(StatusCode.Unimplemented, response.Status);
        Assert.Contains("'snappy'", response.Message, StringComparison.Ordinal);
        Assert.Equal("identity,gzip", response.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task Say_ClientAcceptsGzipAndServerEnabled_ReplyCompressed()
    {
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { EnableResponseCompression = true });

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(Hello)), ("grpc-accept-encoding", "identity, gzip"));

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("gzip", response.Headers["grpc-encoding"]);
        Assert.Equal(0x01, response.Body[0]);
        Assert.Equal(Hello.Text, EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Text);
    }

    [Fact]
    public async Task Say_ServerCompressionDisabled_ReplyPlain()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(Hello)), ("grpc-accept-encoding", "gzip"));

        Assert.False(response.Headers.ContainsKey("grpc-encoding"));
        Assert.Equal(0x00, response.Body[0]);
    }

    [Fact]
    public async Task Say_ClientDoesNotAcceptGzip_ReplyPlain()
    {
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { EnableResponseCompression = true });

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(Hello)), ("grpc-accept-encoding", "identity"));

        Assert.False(response.Headers.ContainsKey("grpc-encoding"));
        Assert.Equal(0x00, response.Body[0]);
        Assert.Equal(Hello.Text, EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Text);
    }
}
