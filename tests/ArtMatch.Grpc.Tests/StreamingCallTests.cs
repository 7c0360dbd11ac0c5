using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;

namespace ArtMatch.Grpc.Tests;

public sealed class StreamingCallTests
{
    private static byte[] Frame(EchoRequest request) => TestGrpcHost.Frame(EchoService.Bytes(request));

    [Fact]
    public async Task Expand_ThreeReplies_MessagesThenOkTrailers()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Expand", Frame(new EchoRequest { Text = "x", Repeat = 3 }));

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
        var replies = response.Messages().Select(EchoReply.Parser.ParseFrom).ToList();
        Assert.Equal([0, 1, 2], replies.Select(r => r.Index));
        Assert.All(replies, r => Assert.Equal("x", r.Text));
    }

    [Fact]
    public async Task Expand_NoReplies_TrailersOnlyOk()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Expand", Frame(new EchoRequest { Repeat = 0 }));

        Assert.True(response.IsTrailersOnly);
        Assert.Equal(StatusCode.OK, response.Status);
    }

    [Fact]
    public async Task Expand_FailsAfterMessages_StatusInTrailersAfterTheMessages()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Expand", Frame(new EchoRequest { Text = "x", Repeat = 2, Code = (int)StatusCode.Aborted }));

        Assert.Equal(2, response.Messages().Count);
        Assert.Equal("10", response.Trailers["grpc-status"]);
        Assert.Equal("failed after 2 messages", response.Message);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
    }

    [Fact]
    public async Task Collect_ThreeRequests_OneJoinedReply()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] body = [.. Frame(new EchoRequest { Text = "a" }), .. Frame(new EchoRequest { Text = "b" }), .. Frame(new EchoRequest { Text = "c" })];

        var response = await host.CallAsync("/test.echo.v1.Echo/Collect", body);

        Assert.Equal(StatusCode.OK, response.Status);
        var reply = EchoReply.Parser.ParseFrom(Assert.Single(response.Messages()));
        Assert.Equal("a+b+c", reply.Text);
        Assert.Equal(3, reply.Index);
    }

    [Fact]
    public async Task Collect_NoRequests_EmptyReply()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Collect", []);

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal(0, EchoReply.Parser.ParseFrom(Assert.Single(response.Messages())).Index);
    }

    [Fact]
    public async Task Collect_SecondMessageOverLimit_ResourceExhausted()
    {
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { MaxReceiveMessageSize = 8 });
        byte[] body =
        [
            0x00, 0x00, 0x00, 0x00, 0x03, 0x0A, 0x01, 0x61, // text = "a": fits
            0x00, 0x00, 0x00, 0x00, 0x09,                   // 9 bytes announced: over 8
            .. new byte[9],
        ];

        var response = await host.CallAsync("/test.echo.v1.Echo/Collect", body);

        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Equal("Received message larger than max (9 vs. 8 bytes).", response.Message);
    }

    [Fact]
    public async Task Chat_Interleaved_EachReplyArrivesBeforeNextRequestIsSent()
    {
        await using var host = await TestGrpcHost.StartAsync();
        var content = new StreamingContent();
        var request = TestGrpcHost.Request("/test.echo.v1.Echo/Chat", []);
        request.Content = content;

        content.Write(Frame(new EchoRequest { Text = "one" }));
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var first = await TestGrpcHost.ReadFrameAsync(stream);
        // The second request is written only after the first reply was read: a true duplex exchange.
        content.Write(Frame(new EchoRequest { Text = "two" }));
        var second = await TestGrpcHost.ReadFrameAsync(stream);
        content.Complete();
        var end = await TestGrpcHost.ReadFrameAsync(stream);

        Assert.Equal("ONE", EchoReply.Parser.ParseFrom(first!.Value.Payload).Text);
        var secondReply = EchoReply.Parser.ParseFrom(second!.Value.Payload);
        Assert.Equal(("TWO", 1), (secondReply.Text, secondReply.Index));
        Assert.Null(end);
        Assert.Equal("0", string.Join(",", response.TrailingHeaders.GetValues("grpc-status")));
    }
}
