using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using ArtMatch.Grpc.Internal;
using Google.Protobuf;
using Grpc.Health.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace ArtMatch.Grpc.Tests;

public class ProtocolTests
{
    private const string Unary = "/test.Echo/Unary";

    private static byte[] Frame(IMessage message) => MessageFraming.Frame(message.ToByteArray(), compress: false);

    private static HttpRequestMessage Request(string path, byte[] body, string contentType = "application/grpc")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Version = HttpVersion.Version20, Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    private static async Task<(Status Status, HttpResponseMessage Response, byte[] Body)> SendAsync(TestGrpcServer server, HttpRequestMessage request)
    {
        var response = await server.CreateHttpClient().SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        return (GrpcClient.ReadStatus(response), response, body);
    }

    [Fact]
    public async Task Unary_ValidRequest_ReturnsMessageAndOkInTrailers()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var (status, response, body) = await SendAsync(server, Request(Unary, Frame(new HealthCheckRequest { Service = "ok" })));

        Assert.Equal(StatusCode.OK, status.Code);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("application/grpc", response.Content.Headers.ContentType!.MediaType);
        // 0x00 = not compressed, then the 4-byte length, then the message.
        var expected = new HealthCheckResponse { Status = ServingStatus.Serving }.ToByteArray();
        Assert.Equal([0x00, 0x00, 0x00, 0x00, (byte)expected.Length, .. expected], body);
    }

    [Fact]
    public async Task Unary_HandlerThrowsRpcException_SendsTrailersOnlyWithPercentEncodedMessage()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var (status, response, body) = await SendAsync(server, Request(Unary, Frame(new HealthCheckRequest { Service = "bad" })));

        Assert.Equal(StatusCode.InvalidArgument, status.Code);
        Assert.Equal("bad input: 100% ☃ wrong", status.Detail);
        Assert.Empty(body);
        // Trailers-only: the status travels in the response headers.
        Assert.Equal("3", response.Headers.GetValues("grpc-status").Single());
        Assert.Equal("bad input: 100%25 %E2%98%83 wrong", response.Headers.GetValues("grpc-message").Single());
    }

    [Fact]
    public async Task Unary_HandlerCrashes_UnknownWithoutInternalsAndServerKeepsServing()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var client = server.CreateClient();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Unary, new HealthCheckRequest { Service = "crash" }, HealthCheckResponse.Parser));
        var after = await client.UnaryAsync(Unary, new HealthCheckRequest { Service = "ok" }, HealthCheckResponse.Parser);

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.DoesNotContain("secret", error.Status.Detail);
        Assert.Equal(ServingStatus.Serving, after.Status);
        Assert.Equal(1, server.CrashCount);
    }

    [Fact]
    public async Task UnknownMethod_IsUnimplementedNamingThePath()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var (status, _, _) = await SendAsync(server, Request("/test.Echo/Nope", Frame(new HealthCheckRequest())));

        Assert.Equal(StatusCode.Unimplemented, status.Code);
        Assert.Contains("/test.Echo/Nope", status.Detail);
    }

    [Fact]
    public async Task OversizedMessage_IsResourceExhaustedWithSizes()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var (status, _, _) = await SendAsync(server, Request(Unary, Frame(new HealthCheckRequest { Service = new string('x', 5000) })));

        Assert.Equal(StatusCode.ResourceExhausted, status.Code);
        Assert.Contains("1024", status.Detail);
    }

    [Fact]
    public async Task TruncatedFrame_IsInternalIncompleteMessage()
    {
        await using var server = await TestGrpcServer.StartAsync();
        // Header promises 16 bytes; only 3 follow before the body ends.
        byte[] body = [0x00, 0x00, 0x00, 0x00, 0x10, 0x0A, 0x01, 0x41];

        var (status, _, _) = await SendAsync(server, Request(Unary, body));

        Assert.Equal(StatusCode.Internal, status.Code);
        Assert.Contains("Incomplete message", status.Detail);
    }

    [Fact]
    public async Task BadCompressedFlag_IsInternal()
    {
        await using var server = await TestGrpcServer.StartAsync();
        byte[] body = [0x07, 0x00, 0x00, 0x00, 0x00];

        var (status, _, _) = await SendAsync(server, Request(Unary, body));

        Assert.Equal(StatusCode.Internal, status.Code);
        Assert.Contains("compressed flag", status.Detail);
    }

    [Fact]
    public async Task UnparseableProtobuf_IsInternalDeserializeError()
    {
        await using var server = await TestGrpcServer.StartAsync();
        // Field 1, wire type 2 (length-delimited), length 100, but nothing follows inside the message.
        byte[] body = [0x00, 0x00, 0x00, 0x00, 0x02, 0x0A, 0x64];

        var (status, _, _) = await SendAsync(server, Request(Unary, body));

        Assert.Equal(StatusCode.Internal, status.Code);
        Assert.Contains("deserialize", status.Detail);
    }

    [Fact]
    public async Task EmptyUnaryRequest_IsInternalNeedsOneMessage()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var (status, _, _) = await SendAsync(server, Request(Unary, []));

        Assert.Equal(StatusCode.Internal, status.Code);
        Assert.Contains("exactly one", status.Detail);
    }

    [Fact]
    public async Task Deadline_SlowHandler_IsDeadlineExceeded()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var client = server.CreateClient();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryAsync(Unary, new HealthCheckRequest { Service = "slow" }, HealthCheckResponse.Parser, timeout: TimeSpan.FromMilliseconds(200)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Theory]
    [InlineData("1H", 3600_000)]
    [InlineData("2M", 120_000)]
    [InlineData("3S", 3000)]
    [InlineData("250m", 250)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2)]
    public void ParseTimeout_EveryUnit_GivesTheDuration(string header, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GrpcProtocol.ParseTimeout(header));

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("123456789S")]
    [InlineData("-1S")]
    public void ParseTimeout_Malformed_IsNull(string header) => Assert.Null(GrpcProtocol.ParseTimeout(header));

    [Fact]
    public async Task MalformedTimeoutHeader_IsInternal()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var request = Request(Unary, Frame(new HealthCheckRequest()));
        request.Headers.TryAddWithoutValidation("grpc-timeout", "soon");

        var (status, _, _) = await SendAsync(server, request);

        Assert.Equal(StatusCode.Internal, status.Code);
        Assert.Contains("grpc-timeout", status.Detail);
    }

    [Fact]
    public async Task GzipRequest_IsDecompressed_AndGzipResponseWhenAccepted()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var request = Request(Unary, MessageFraming.Frame(new HealthCheckRequest { Service = "ok" }.ToByteArray(), compress: true));
        request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        request.Headers.TryAddWithoutValidation("grpc-accept-encoding", "gzip");

        var (status, response, body) = await SendAsync(server, request);

        Assert.Equal(StatusCode.OK, status.Code);
        Assert.Equal("gzip", response.Headers.GetValues("grpc-encoding").Single());
        Assert.Equal(1, body[0]);
        using var gzip = new GZipStream(new MemoryStream(body[5..]), CompressionMode.Decompress);
        Assert.Equal(ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(gzip).Status);
    }

    [Fact]
    public async Task UnknownEncoding_IsUnimplementedListingAccepted()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var request = Request(Unary, Frame(new HealthCheckRequest()));
        request.Headers.TryAddWithoutValidation("grpc-encoding", "snappy");

        var (status, response, _) = await SendAsync(server, request);

        Assert.Equal(StatusCode.Unimplemented, status.Code);
        Assert.Contains("gzip", response.Headers.GetValues("grpc-accept-encoding").Single());
    }

    [Fact]
    public async Task Http11Caller_GetsAClearError()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var request = Request(Unary, Frame(new HealthCheckRequest()));
        request.Version = HttpVersion.Version11;

        var response = await server.CreateHttpClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Contains("HTTP/2", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WrongContentType_Is415()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var (_, response, _) = await SendAsync(server, Request(Unary, Frame(new HealthCheckRequest()), "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task RequestMetadata_ReachesTheHandler()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var response = await server.CreateClient().UnaryAsync(Unary, new HealthCheckRequest { Service = "metadata" }, HealthCheckResponse.Parser,
            new Dictionary<string, string> { ["x-test"] = "yes" });

        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task ClientStreaming_CountsEveryMessage()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var responses = await server.CreateClient().CallAsync("/test.Echo/Count", Enumerable.Range(0, 7).Select(_ => new HealthCheckRequest()), HealthCheckResponse.Parser);

        Assert.Equal((ServingStatus)7, Assert.Single(responses).Status);
    }

    [Fact]
    public async Task ServerStreaming_SendsEveryMessage()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var responses = await server.CreateClient().CallAsync("/test.Echo/Repeat", [new HealthCheckRequest { Service = "12" }], HealthCheckResponse.Parser);

        Assert.Equal(12, responses.Count);
    }

    [Fact]
    public async Task DuplexStreaming_EchoesInOrder()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var responses = await server.CreateClient().CallAsync("/test.Echo/Ping", new[] { "a", "b", "c" }.Select(s => new HealthCheckRequest { Service = s }), HealthCheckRequest.Parser);

        Assert.Equal(["pong:a", "pong:b", "pong:c"], responses.Select(r => r.Service));
    }

    [Fact]
    public async Task Interceptor_RefusesUnauthenticated_ButHealthIsPublic()
    {
        var options = new GrpcServerOptions
        {
            Interceptor = context => context.GetMetadata("authorization") == "Bearer good" ? Task.CompletedTask
                : throw new RpcException(StatusCode.Unauthenticated, "no key"),
            PublicServices = new HashSet<string> { HealthService.ServiceName },
        };
        await using var server = await TestGrpcServer.StartAsync(options);
        var client = server.CreateClient();

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Unary, new HealthCheckRequest(), HealthCheckResponse.Parser));
        var allowed = await client.UnaryAsync(Unary, new HealthCheckRequest(), HealthCheckResponse.Parser, new Dictionary<string, string> { ["authorization"] = "Bearer good" });
        var health = await client.UnaryAsync("/grpc.health.v1.Health/Check", new HealthCheckRequest(), HealthCheckResponse.Parser);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal(ServingStatus.Serving, allowed.Status);
        Assert.Equal(ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Health_UnknownService_IsNotFound()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            server.CreateClient().UnaryAsync("/grpc.health.v1.Health/Check", new HealthCheckRequest { Service = "nope" }, HealthCheckResponse.Parser));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task MessageReader_HeaderSplitAcrossWrites_StillReadsTheMessage()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var frame = Frame(new HealthCheckRequest { Service = "split" });
        var read = MessageFraming.ReadAsync(pipe.Reader, 1024, null, CancellationToken.None).AsTask();
        foreach (byte b in frame)
        {
            await pipe.Writer.WriteAsync(new[] { b });
            await pipe.Writer.FlushAsync();
        }
        await pipe.Writer.CompleteAsync();

        var message = await read;

        Assert.Equal("split", HealthCheckRequest.Parser.ParseFrom(message).Service);
    }
}
