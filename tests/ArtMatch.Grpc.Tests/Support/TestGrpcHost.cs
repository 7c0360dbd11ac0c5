using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ArtMatch.Grpc.Tests.Support;

/// <summary>
/// One in-process server per test (TestServer: HTTP/2 semantics, streaming both ways, trailers),
/// with the echo, health and reflection services, and raw HTTP helpers that show the wire bytes.
/// </summary>
internal sealed class TestGrpcHost : IAsyncDisposable
{
    private readonly IHost _host;

    private TestGrpcHost(IHost host, EchoService echo, HealthService health, HttpClient client)
    {
        _host = host;
        Echo = echo;
        Health = health;
        Client = client;
    }

    public EchoService Echo { get; }

    public HealthService Health { get; }

    public HttpClient Client { get; }

    public static async Task<TestGrpcHost> StartAsync(GrpcServerOptions? options = null)
    {
        var echo = new EchoService();
        var health = new HealthService();
        var registry = new GrpcServiceRegistry();
        echo.Register(registry);
        health.Register(registry);
        new ReflectionService(registry).Register(includeV1: true);
        var host = new HostBuilder()
            .ConfigureWebHost(web => web
                .UseTestServer()
                .ConfigureServices(services => services.AddRouting())
                .Configure(app =>
                {
                    app.UseRouting();
                    app.UseEndpoints(endpoints => endpoints.MapGrpcServices(registry, options));
                }))
            .Build();
        await host.StartAsync();
        var client = new HttpClient(host.GetTestServer().CreateHandler()) { BaseAddress = new Uri("http://localhost") };
        return new TestGrpcHost(host, echo, health, client);
    }

    /// <summary>A gRPC POST over HTTP/2 with <paramref name="body"/> as the whole request body.</summary>
    public static HttpRequestMessage Request(string path, byte[] body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    /// <summary>Sends a whole request, reads the whole response, and sorts out status and frames.</summary>
    public async Task<RawResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellation = default)
    {
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellation);
        return new RawResponse(response.StatusCode, body, Copy(response.Headers, response.Content.Headers), Copy(response.TrailingHeaders));
    }

    public Task<RawResponse> CallAsync(string path, byte[] body, params (string Name, string Value)[] headers) =>
        SendAsync(Request(path, body, headers));

    private static Dictionary<string, string> Copy(params HttpHeaders[] all)
    {
        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var headers in all)
        {
            foreach (var (name, values) in headers)
                copy[name] = string.Join(",", values);
        }
        return copy;
    }

    /// <summary>A 5-byte gRPC prefix (flag, big-endian length) followed by <paramref name="message"/>.</summary>
    public static byte[] Frame(byte[] message, byte flag = 0)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Reads one whole frame off a response stream: (flag, payload), or null at the end.</summary>
    public static async Task<(byte Flag, byte[] Payload)?> ReadFrameAsync(Stream stream, CancellationToken cancellation = default)
    {
        var header = new byte[5];
        int read = await stream.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false, cancellation);
        if (read == 0)
            return null;
        if (read < 5)
            throw new InvalidDataException($"The response ended {read} bytes into a frame header.");
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        await stream.ReadExactlyAsync(payload, cancellation);
        return (header[0], payload);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>A response as the wire carried it: status from trailers or (trailers-only) headers.</summary>
internal sealed record RawResponse(HttpStatusCode HttpStatus, byte[] Body, Dictionary<string, string> Headers, Dictionary<string, string> Trailers)
{
    /// <summary>grpc-status from the trailers, else from the headers (trailers-only response).</summary>
    public StatusCode? Status => (Trailers.GetValueOrDefault("grpc-status") ?? Headers.GetValueOrDefault("grpc-status")) is { } s ? (StatusCode)int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>grpc-message as sent (still percent-encoded).</summary>
    public string? RawMessage => Trailers.GetValueOrDefault("grpc-message") ?? Headers.GetValueOrDefault("grpc-message");

    public string? Message => RawMessage is { } m ? Uri.UnescapeDataString(m) : null;

    public bool IsTrailersOnly => Body.Length == 0 && Headers.ContainsKey("grpc-status");

    /// <summary>The response's messages, decompressed when flagged.</summary>
    public List<byte[]> Messages()
    {
        var messages = new List<byte[]>();
        var stream = new MemoryStream(Body);
        while (TestGrpcHost.ReadFrameAsync(stream).GetAwaiter().GetResult() is { } frame)
            messages.Add(frame.Flag == 1 ? Gzip.Decompress(frame.Payload) : frame.Payload);
        return messages;
    }
}

/// <summary>A request body the test writes frame by frame while the response streams back (duplex).</summary>
internal sealed class StreamingContent : HttpContent
{
    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>();

    public StreamingContent() => Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

    public void Write(byte[] frame) => _frames.Writer.TryWrite(frame);

    public void Complete() => _frames.Writer.TryComplete();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await foreach (var frame in _frames.Reader.ReadAllAsync())
        {
            await stream.WriteAsync(frame);
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

internal static class Gzip
{
    public static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }

    public static byte[] Decompress(byte[] data)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(data), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
