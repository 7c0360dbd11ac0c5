namespace ArtMatch.Grpc;

/// <summary>gRPC status codes (grpc/grpc doc/statuscodes.md).</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>A call's outcome as sent in the grpc-status / grpc-message trailers.</summary>
public readonly record struct Status(StatusCode Code, string Detail)
{
    public static readonly Status Ok = new(StatusCode.OK, "");

    public override string ToString() => $"{Code}: {Detail}";
}

/// <summary>Ends a call with a status; handlers throw it for errors the caller should see.</summary>
public sealed class RpcException(StatusCode code, string detail) : Exception($"{code}: {detail}")
{
    public Status Status { get; } = new(code, detail);

    public StatusCode StatusCode => Status.Code;
}
