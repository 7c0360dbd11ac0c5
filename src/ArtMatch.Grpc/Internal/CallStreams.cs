using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace ArtMatch.Grpc.Internal;

internal sealed class RequestStreamReader<T>(HttpContext http, MessageParser<T> parser, GrpcServerOptions options, string? encoding, CancellationToken callCancellation)
    : IAsyncStreamReader<T> where T : IMessage<T>
{
    public T Current { get; private set; } = default!;

    public async Task<bool> MoveNext(CancellationToken cancellation)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, callCancellation);
        var bytes = await MessageFraming.ReadAsync(http.Request.BodyReader, options.MaxReceiveMessageSize, encoding, linked.Token).ConfigureAwait(false);
        if (bytes is null)
            return false;
        Current = CallHandler.Parse(parser, bytes);
        return true;
    }
}

internal sealed class ResponseStreamWriter<T>(HttpContext http, GrpcServerOptions options, bool compress, CallState state)
    : IServerStreamWriter<T> where T : IMessage<T>
{
    public async Task WriteAsync(T message, CancellationToken cancellation = default)
    {
        var bytes = message.ToByteArray();
        if (bytes.Length > options.MaxSendMessageSize)
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({bytes.Length} vs. {options.MaxSendMessageSize} bytes).");
        var frame = MessageFraming.Frame(bytes, compress);
        await state.WriteLock.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            // Once the status is out (deadline, error) the response is finished: late writes are refused.
            if (state.Completed)
                throw new OperationCanceledException("The call has already completed.");
            await http.Response.BodyWriter.WriteAsync(frame, cancellation).ConfigureAwait(false);
        }
        finally
        {
            state.WriteLock.Release();
        }
    }
}

/// <summary>Shared between the call and its writer: the status is written once, after which nothing else is.</summary>
internal sealed class CallState
{
    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    public bool Completed { get; set; }
}
