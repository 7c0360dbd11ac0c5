using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ArtMatch.Grpc.Internal;

/// <summary>The wire conventions of gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) in one place.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusTrailer = "grpc-status";
    public const string MessageTrailer = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string SupportedEncodings = "identity,gzip";

    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null
        && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');

    /// <summary>Parses grpc-timeout: 1-8 digits and a unit (H, M, S, m, u, n). Null when malformed.</summary>
    public static TimeSpan? ParseTimeout(string value)
    {
        if (value.Length < 2 || value.Length > 9 || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
            return null;
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    /// <summary>Percent-encodes a status message as the protocol requires: UTF-8, printable ASCII except '%' kept.</summary>
    public static string EncodeMessage(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
                builder.Append((char)b);
            else
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    public static string DecodeMessage(string encoded)
    {
        if (!encoded.Contains('%'))
            return encoded;
        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length && byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)encoded[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// Ends the call with <paramref name="status"/>: in trailers after messages, or as a trailers-only
    /// response (status in the headers, no body) when nothing was sent yet.
    /// </summary>
    public static void SetStatus(HttpResponse response, Status status, IReadOnlyDictionary<string, string>? trailers)
    {
        string code = ((int)status.Code).ToString(CultureInfo.InvariantCulture);
        if (!response.HasStarted)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ContentType;
            foreach (var (key, value) in trailers ?? EmptyTrailers)
            {
                if (!IsReserved(key))
                    response.Headers[key] = value;
            }
            response.Headers[StatusTrailer] = code;
            if (status.Detail.Length > 0)
                response.Headers[MessageTrailer] = EncodeMessage(status.Detail);
            return;
        }
        foreach (var (key, value) in trailers ?? EmptyTrailers)
        {
            if (!IsReserved(key))
                response.AppendTrailer(key, value);
        }
        response.AppendTrailer(StatusTrailer, code);
        if (status.Detail.Length > 0)
            response.AppendTrailer(MessageTrailer, EncodeMessage(status.Detail));
    }

    private static readonly Dictionary<string, string> EmptyTrailers = [];

    // The status is the layer's to write; a handler's trailer cannot override it.
    private static bool IsReserved(string key) =>
        key.Equals(StatusTrailer, StringComparison.OrdinalIgnoreCase) || key.Equals(MessageTrailer, StringComparison.OrdinalIgnoreCase);
}
