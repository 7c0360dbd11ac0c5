using System.Diagnostics;
using System.Globalization;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ArtMatch.Server.Metrics;

/// <summary>
/// Counts every gRPC call with the status it ended with, read from what went on the wire
/// (grpc-status in the trailers, or in the headers of a trailers-only answer): so calls refused
/// before a handler ran (no key, a message over the limit, an unknown method) and calls that ran
/// out of deadline count too. Methods are named from the endpoint, never from the request path, so
/// a caller cannot mint new label values.
/// </summary>
internal sealed class GrpcCallMetricsMiddleware(RequestDelegate next, ArtMatchMetrics metrics)
{
    private const int Unknown = 2;
    private const int Cancelled = 1;

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        long started = Stopwatch.GetTimestamp();
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            var method = http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
            metrics.RecordCall(method?.ServiceName ?? "unknown", method?.Name ?? "unknown", StatusOf(http), Stopwatch.GetElapsedTime(started));
        }
    }

    private static int StatusOf(HttpContext http)
    {
        string? value = http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() is { Length: > 0 } trailer
            ? trailer
            : http.Response.Headers["grpc-status"].ToString();
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
            return code;
        return http.RequestAborted.IsCancellationRequested ? Cancelled : Unknown;
    }
}
