using Microsoft.AspNetCore.Http;

namespace ArtMatch.Grpc;

/// <summary>What a handler knows about its call: who, which method, until when, and request metadata.</summary>
public sealed class ServerCallContext
{
    private readonly Dictionary<string, string> _responseTrailers = new(StringComparer.OrdinalIgnoreCase);

    internal ServerCallContext(HttpContext http, MethodDescriptor method, DateTime deadline, CancellationToken cancellation)
    {
        HttpContext = http;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellation;
    }

    public HttpContext HttpContext { get; }

    public MethodDescriptor Method { get; }

    /// <summary>UTC deadline from grpc-timeout, or DateTime.MaxValue.</summary>
    public DateTime Deadline { get; }

    /// <summary>Cancelled when the client goes away or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The client's address as "ip:port".</summary>
    public string Peer => $"{HttpContext.Connection.RemoteIpAddress}:{HttpContext.Connection.RemotePort}";

    /// <summary>Request metadata: the HTTP/2 headers (keys lower case; "-bin" values are base64).</summary>
    public IHeaderDictionary RequestHeaders => HttpContext.Request.Headers;

    /// <summary>A request metadata value (header), or null.</summary>
    public string? GetMetadata(string key) => HttpContext.Request.Headers.TryGetValue(key, out var value) ? value.ToString() : null;

    /// <summary>
    /// A binary metadata value (key ending in "-bin", base64 on the wire with or without padding), or
    /// null when absent. Malformed base64 is the caller's mistake: INVALID_ARGUMENT.
    /// </summary>
    public byte[]? GetBinaryMetadata(string key)
    {
        if (!key.EndsWith("-bin", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Binary metadata keys end in \"-bin\"; '{key}' does not.", nameof(key));
        if (GetMetadata(key) is not { } text)
            return null;
        string padded = text.Trim().PadRight((text.Trim().Length + 3) / 4 * 4, '=');
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"Metadata '{key}' is not valid base64.");
        }
    }

    /// <summary>
    /// Metadata sent with the status when the call ends (in the trailers, or in the headers of a
    /// trailers-only response). Keys are ASCII, lower case; grpc-status and grpc-message are reserved.
    /// </summary>
    public IDictionary<string, string> ResponseTrailers => _responseTrailers;

    internal IReadOnlyDictionary<string, string> ResponseTrailersSnapshot => _responseTrailers;

    /// <summary>Set by an interceptor (e.g. the API key's owner); handlers record it in audit logs.</summary>
    public string? Caller { get; set; }

    /// <summary>Free-form values an interceptor hands to handlers (e.g. the caller's role).</summary>
    public IDictionary<string, object> Items { get; } = new Dictionary<string, object>();
}
