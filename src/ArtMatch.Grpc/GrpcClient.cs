using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using ArtMatch.Grpc.Internal;
using Google.Protobuf;

namespace ArtMatch.Grpc;

/// <summary>
/// A small gRPC client over HttpClient (HTTP/2, prior knowledge for http://): what the CLI uses to
/// reach a server, and what the in-process tests drive TestServer with. Whole-message calls only:
/// requests are sent, then all responses are read.
/// </summary>
public sealed class GrpcClient(HttpClient http) : IDisposable
{
    /// <summary>A client for "host:port" or a URL; cleartext HTTP/2 unless the address says https.</summary>
    public static GrpcClient ForAddress(string address)
    {
        var uri = address.Contains("://", StringComparison.Ordinal) ? new Uri(address) : new Uri("http://" + address);
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        return new GrpcClient(new HttpClient(handler) { BaseAddress = uri, Timeout = Timeout.InfiniteTimeSpan });
    }

    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser,
        IReadOnlyDictionary<string, string>? metadata = null, TimeSpan? timeout = null, CancellationToken cancellation = default)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
    {
        var responses = await CallAsync(method, [request], parser, metadata, timeout, cancellation).ConfigureAwait(false);
        return responses.Count == 1 ? responses[0] : throw new RpcException(StatusCode.Internal, $"Expected one response message, got {responses.Count}.");
    }

    /// <summary>Sends every request message, then returns every response message; throws <see cref="RpcException"/> on a non-OK status.</summary>
    public async Task<IReadOnlyList<TResponse>> CallAsync<TRequest, TResponse>(string method, IEnumerable<TRequest> requests, MessageParser<TResponse> parser,
        IReadOnlyDictionary<string, string>? metadata = null, TimeSpan? timeout = null, CancellationToken cancellation = default)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
    {
        using var body = new MemoryStream();
        foreach (var request in requests)
            body.Write(MessageFraming.Frame(request.ToByteArray(), compress: false));
        using var message = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body.ToArray()),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        message.Headers.TryAddWithoutValidation("te", "trailers");
        if (timeout is { } t)
            message.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, Math.Max(1, (long)Math.Ceiling(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "m");
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            message.Headers.TryAddWithoutValidation(key, value);

        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
        var status = ReadStatus(response);
        if (status.Code != StatusCode.OK)
            throw new RpcException(status.Code, status.Detail);
        var results = new List<TResponse>();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(bytes);
        string? encoding = response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var e) ? e.FirstOrDefault() : null;
        while (MessageFraming.TryParse(ref buffer, int.MaxValue, encoding, out var payload))
            results.Add(parser.ParseFrom(payload));
        if (buffer.Length > 0)
            throw new RpcException(StatusCode.Internal, "The response ended inside a message.");
        return results;
    }

    /// <summary>The call's status: from the trailers, or from the headers of a trailers-only response.</summary>
    public static Status ReadStatus(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
            return new Status(StatusCode.Unavailable, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        string? code = Header(response.TrailingHeaders, GrpcProtocol.StatusTrailer) ?? Header(response.Headers, GrpcProtocol.StatusTrailer);
        string detail = Header(response.TrailingHeaders, GrpcProtocol.MessageTrailer) ?? Header(response.Headers, GrpcProtocol.MessageTrailer) ?? "";
        if (code is null || !int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            return new Status(StatusCode.Internal, "The response carries no grpc-status.");
        return new Status((StatusCode)value, GrpcProtocol.DecodeMessage(detail));
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => http.Dispose();
}
