using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// gRPC method names are case-sensitive (gRPC's own servers answer "/artmatch.v1.ArtMatch/match"
/// UNIMPLEMENTED), but ASP.NET Core's routing matches paths without regard to case. A call whose
/// path is not exactly the method's is answered UNIMPLEMENTED here, as a trailers-only response,
/// before any handler or interceptor runs.
/// </summary>
public sealed class ExactMethodNamesMiddleware(RequestDelegate next)
{
    /// <summary>Set by the first interceptor: the request message was read and a handler ran.</summary>
    public const string HandlerRan = "artmatch.handler-ran";

    public async Task InvokeAsync(HttpContext http)
    {
        var method = http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is not null && !string.Equals(http.Request.Path.Value, "/" + method.FullName.TrimStart('/'), StringComparison.Ordinal))
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-status"] = "12";
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString("Method is unimplemented (method names are case-sensitive).");
            return;
        }
        await next(http).ConfigureAwait(false);
        // A request message that does not parse fails before any handler: grpc-dotnet answers UNKNOWN
        // ("Exception was thrown by handler."), gRPC's own servers INTERNAL. Answer as they do.
        if (method is not null && !http.Response.HasStarted && !http.Items.ContainsKey(HandlerRan)
            && http.Response.Headers["grpc-status"] == "2")
        {
            http.Response.Headers["grpc-status"] = "13";
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString($"The request could not be parsed as {method.Name}'s request message.");
        }
    }
}

public static class ExactMethodNamesExtensions
{
    public static WebApplication UseExactGrpcMethodNames(this WebApplication app)
    {
        app.UseMiddleware<ExactMethodNamesMiddleware>();
        return app;
    }
}
