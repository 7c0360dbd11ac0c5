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
internal sealed class ExactMethodNamesMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method is { } method
            && !string.Equals(http.Request.Path.Value, "/" + method.FullName.TrimStart('/'), StringComparison.Ordinal))
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-status"] = "12";
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString("Method is unimplemented (method names are case-sensitive).");
            return Task.CompletedTask;
        }
        return next(http);
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
