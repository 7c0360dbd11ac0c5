using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Server.Hosting;
using Grpc.Core;

namespace ArtMatch.Server.Api;

/// <summary>
/// The domain's exceptions as gRPC statuses, decided in one place at the edge: a bad picture is the
/// caller's to fix (INVALID_ARGUMENT, or RESOURCE_EXHAUSTED when too large), an unknown object is
/// NOT_FOUND, a catalogue still loading or a vector server out of reach is UNAVAILABLE (try again),
/// a vector index holding another model's vectors INTERNAL with what to do. Anything else (a built-in exception from a
/// bug, a store failure) has no status here and becomes INTERNAL in <see cref="DomainErrorInterceptor"/>.
/// </summary>
public static class DomainStatus
{
    public static Status? Of(Exception error) => error switch
    {
        RpcException rpc => rpc.Status,
        ImageDecodeException { Kind: ImageErrorKind.TooLarge } e => new Status(StatusCode.ResourceExhausted, e.Message),
        ImageDecodeException e => new Status(StatusCode.InvalidArgument, e.Message),
        ObjectNotFoundException e => new Status(StatusCode.NotFound, e.Message),
        Core.Cases.CaseNotFoundException e => new Status(StatusCode.NotFound, e.Message),
        Core.Cases.CaseConflictException e => new Status(StatusCode.FailedPrecondition, e.Message),
        CatalogueUnavailableException e => new Status(StatusCode.Unavailable, e.Message),
        VectorIndexException e => new Status(e.Unavailable ? StatusCode.Unavailable : StatusCode.Internal, e.Message),
        _ => null,
    };
}
