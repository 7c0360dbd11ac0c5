using System.Net;
using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;

namespace ArtMatch.Grpc.Tests;

public sealed class UnaryCallTests
{
    [Fact]
    public async Task Say_OneFrame_EchoesMessageWithOkInTrailers()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request =
        [
            0x00,                   // not compressed
            0x00, 0x00, 0x00, 0x04, // length 4
            0x0A, 0x02, 0x68, 0x69, // EchoRequest { text (field 1, length-delimited) = "hi" }
        ];

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal("application/grpc", response.Headers["Content-Type"]);
        // EchoReply { text = "hi" } has the same bytes as the request.
        Assert.Equal(request, response.Body);
        Assert.Equal("0", response.Trailers["grpc-status"]);
        Assert.False(response.Trailers.ContainsKey("grpc-message"));
    }

    [Fact]
    public async Task Say_FrameSplitAcrossWrites_IsReassembled()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var content = new StreamingContent();
        var request = TestGrpcHost.Request("/test.echo.v1.Echo/Say", []);
        request.Content = content;
        var sending = host.SendAsync(request);

        content.Write([0x00, 0x00, 0x00]);             // flag and half the length
        content.Write([0x00, 0x05, 0x0A]);             // rest of length 5, then the field tag
        content.Write([0x03, 0x61, 0x62, 0x63]);       // text = "abc"
        content.Complete();
        var response = await sending;

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("abc", EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Text);
    }

    [Fact]
    public async Task Call_UnknownMethod_UnimplementedWithPath()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Nope", TestGrpcHost.Frame([]));

        Assert.Equal(StatusCode.Unimplemented, response.Status);
        Assert.Equal("Method not found: /test.echo.v1.Echo/Nope", response.Message);
        Assert.True(response.IsTrailersOnly);
    }

    [Fact]
    public async Task Call_UnknownService_UnimplementedWithPath()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/x/y", TestGrpcHost.Frame([]));

        Assert.Equal(StatusCode.Unimplemented, response.Status);
        Assert.Equal("Method not found: /x/y", response.Message);
    }

    [Fact]
    public async Task Call_Http11_Refused426WithExplanation()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var request = TestGrpcHost.Request("/test.echo.v1.Echo/Say", TestGrpcHost.Frame([0x0A, 0x01, 0x61]));
        request.Version = HttpVersion.Version11;

        var response = await host.SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.HttpStatus);
        Assert.Contains("gRPC requires HTTP/2", System.Text.Encoding.UTF8.GetString(response.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_Http2Get_Refused405()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var request = TestGrpcHost.Request("/test.echo.v1.Echo/Say", []);
        request.Method = HttpMethod.Get;
        request.Content = null;

        var response = await host.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.HttpStatus);
        Assert.Contains("got HTTP/2 GET", System.Text.Encoding.UTF8.GetString(response.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_JsonContentType_Refused415WithGrpcStatus()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var request = TestGrpcHost.Request("/test.echo.v1.Echo/Say", TestGrpcHost.Frame([]));
        request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await host.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("application/json", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_GrpcProtoContentType_Accepted()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var request = TestGrpcHost.Request("/test.echo.v1.Echo/Say", TestGrpcHost.Frame([0x0A, 0x01, 0x61]));
        request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc+proto");

        var response = await host.SendAsync(request);

        Assert.Equal(StatusCode.OK, response.Status);
    }

    [Fact]
    public async Task Say_UnparseableProtobuf_InternalWithReason()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request =
        [
            0x00, 0x00, 0x00, 0x00, 0x03,
            0x0A, 0x09, 0x61,       // text claims 9 bytes but only 1 follows
        ];

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.StartsWith("Failed to deserialize the request message", response.Message, StringComparison.Ordinal);
        Assert.True(response.IsTrailersOnly);
    }

    [Fact]
    public async Task Say_BodyEndsInsideFrame_InternalIncompleteMessage()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request =
        [
            0x00, 0x00, 0x00, 0x00, 0x0A, // promises 10 bytes
            0x0A, 0x01, 0x61,             // delivers 3
        ];

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("Incomplete message", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_CompressedFlagTwo_InternalMalformed()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request = [0x02, 0x00, 0x00, 0x00, 0x00]; // flag 2 is not defined

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("compressed flag is 2", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_NoMessage_InternalExactlyOne()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", []);

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("exactly one", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_TwoMessages_InternalExactlyOne()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request =
        [
            0x00, 0x00, 0x00, 0x00, 0x00, // empty EchoRequest
            0x00, 0x00, 0x00, 0x00, 0x00, // and another
        ];

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("more than one message", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_MessageOverReceiveLimit_ResourceExhaustedWithSizes()
    {
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { MaxReceiveMessageSize = 16 });
        byte[] request = [0x00, 0x00, 0x00, 0x00, 0x11, .. new byte[17]]; // 17 bytes, one over

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Equal("Received message larger than max (17 vs. 16 bytes).", response.Message);
    }

    [Fact]
    public async Task Say_HeaderAnnouncesHugeMessage_RefusedBeforeReadingIt()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request = [0x00, 0x7F, 0xFF, 0xFF, 0xFF]; // 2 GiB announced, nothing sent

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", request);

        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Equal("Received message larger than max (2147483647 vs. 16777216 bytes).", response.Message);
    }

    [Fact]
    public async Task Say_ReplyOverSendLimit_ResourceExhaustedWithSizes()
    {
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { MaxSendMessageSize = 100 });
        var request = new EchoRequest { Payload = Google.Protobuf.ByteString.CopyFrom(new byte[200]) };

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(request)));

        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Equal("Sending message larger than max (203 vs. 100 bytes).", response.Message);
    }

    [Fact]
    public async Task Fail_RpcException_TrailersOnlyWithPercentEncodedMessage()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var request = new EchoRequest { Code = (int)StatusCode.NotFound, Text = "objet « 42 » introuvable, 100%" };

        var response = await host.CallAsync("/test.echo.v1.Echo/Fail", TestGrpcHost.Frame(EchoService.Bytes(request)));

        Assert.True(response.IsTrailersOnly);
        Assert.Equal(StatusCode.NotFound, response.Status);
        // Non-ASCII as UTF-8 bytes and '%' itself are percent-encoded; printable ASCII stays.
        Assert.Equal("objet %C2%AB 42 %C2%BB introuvable, 100%25", response.RawMessage);
        Assert.Equal(request.Text, response.Message);
    }

    [Fact]
    public async Task Fail_UnexpectedException_UnknownWithoutDetailThenServerKeepsServing()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var failed = await host.CallAsync("/test.echo.v1.Echo/Fail", TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "x" })));
        var next = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "still here" })));

        Assert.Equal(StatusCode.Unknown, failed.Status);
        Assert.Equal("Exception was thrown by handler.", failed.Message);
        Assert.DoesNotContain("secret", failed.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.OK, next.Status);
        Assert.Equal("still here", EchoReply.Parser.ParseFrom(Assert.Single(next.Messages())).Text);
    }

    [Fact]
    public async Task Say_HandlerSetsTrailer_TrailerSentBesideStatus()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "trailer:abc" })));

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("abc", response.Trailers["echo-trailer"]);
    }

    [Theory]
    [InlineData("AAEC/w==", "000102FF")] // padded
    [InlineData("AAEC/w", "000102FF")]   // unpadded, as many clients send it
    public async Task Say_BinaryMetadata_DecodedFromBase64(string wire, string hex)
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "bin:" })), ("x-blob-bin", wire));

        Assert.Equal(hex, EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Text);
    }

    [Fact]
    public async Task Say_BinaryMetadataNotBase64_InvalidArgument()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "bin:" })), ("x-blob-bin", "**"));

        Assert.Equal(StatusCode.InvalidArgument, response.Status);
        Assert.Equal("Metadata 'x-blob-bin' is not valid base64.", response.Message);
    }
}
