using ArtMatch.Grpc.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ArtMatch.Grpc;

public static class GrpcEndpointExtensions
{
    /// <summary>Routes every registered method (POST /package.Service/Method) and answers UNIMPLEMENTED for the rest.</summary>
    public static IEndpointRouteBuilder MapGrpcServices(this IEndpointRouteBuilder endpoints, GrpcServiceRegistry registry, GrpcServerOptions? options = null)
    {
        options ??= new GrpcServerOptions();
        var logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("ArtMatch.Grpc") ?? NullLogger.Instance;
        foreach (var handler in registry.CreateHandlers(options, logger))
            endpoints.Map(handler.Method.FullName, handler.HandleAsync);
        endpoints.Map("/{service}/{method}", UnknownMethodAsync);
        return endpoints;
    }

    private static Task UnknownMethodAsync(HttpContext http)
    {
        if (!GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        GrpcProtocol.SetStatus(http.Response, new Status(StatusCode.Unimplemented, $"Method not found: {http.Request.Path}"), trailers: null);
        return Task.CompletedTask;
    }
}
