using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Grpc.Internal;

/// <summary>
/// Runs one call of one method: checks the request's protocol, content type, encoding and deadline,
/// reads request messages, runs the handler under the deadline, writes responses and ends with a
/// status. Every failure becomes a gRPC status with a message a person can act on.
/// </summary>
internal abstract class CallHandler(MethodDescriptor method, GrpcServerOptions options, ILogger logger)
{
    public MethodDescriptor Method { get; } = method;

    protected GrpcServerOptions Options { get; } = options;

    public async Task HandleAsync(HttpContext http)
    {
        if (!await CheckRequestAsync(http).ConfigureAwait(false))
            return;
        LiftBodyLimits(http);
        string? encoding = http.Request.Headers[GrpcProtocol.EncodingHeader].ToString() is { Length: > 0 } e ? e : null;
        bool compress = Options.EnableResponseCompression
            && http.Request.Headers[GrpcProtocol.AcceptEncodingHeader].ToString().Split(',').Any(v => v.Trim() == "gzip");

        var state = new CallState();
        TimeSpan? timeout = null;
        if (http.Request.Headers[GrpcProtocol.TimeoutHeader].ToString() is { Length: > 0 } timeoutText)
        {
            timeout = GrpcProtocol.ParseTimeout(timeoutText);
            if (timeout is null)
            {
                Finish(http, state, new Status(StatusCode.Internal, $"Malformed grpc-timeout '{timeoutText}'."));
                return;
            }
        }
        if (encoding is not (null or "identity" or "gzip"))
        {
            http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
            Finish(http, state, new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}'; this server accepts {GrpcProtocol.SupportedEncodings}."));
            return;
        }

        http.Response.ContentType = GrpcProtocol.ContentType;
        http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
        if (compress)
            http.Response.Headers[GrpcProtocol.EncodingHeader] = "gzip";

        var clock = Options.TimeProvider;
        var start = clock.GetUtcNow();
        var deadlineAt = timeout is { } t ? (t >= DateTimeOffset.MaxValue - start ? DateTimeOffset.MaxValue : start + t) : DateTimeOffset.MaxValue;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var context = new ServerCallContext(http, Method, deadlineAt == DateTimeOffset.MaxValue ? DateTime.MaxValue : deadlineAt.UtcDateTime, cancellation.Token);
        var deadlineReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = timeout is { } span ? StartDeadlineTimer(clock, span, deadlineAt, deadlineReached) : null;

        Task call = RunAsync(http, context, encoding, compress, state);
        var first = await Task.WhenAny(call, deadlineReached.Task).ConfigureAwait(false);
        if (first != call)
        {
            // Deadline first: the status goes out now and the response is closed, then the handler is
            // cancelled and its later writes refused. The call still waits for the handler so that
            // nothing touches the HttpContext after the request is over.
            await EndAsync(http, state, context, new Status(StatusCode.DeadlineExceeded, $"Deadline exceeded after {timeout!.Value.TotalSeconds:0.###} s.")).ConfigureAwait(false);
            await CompleteResponseAsync(http).ConfigureAwait(false);
            await cancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await call.ConfigureAwait(false);
            }
            catch (Exception error) when (error is OperationCanceledException or RpcException or IOException)
            {
                // The expected reaction to the cancellation; the caller already has its status.
            }
            catch (Exception error)
            {
                logger.LogError(error, "Handler of {Method} failed after its deadline", Method.FullName);
            }
            return;
        }
        try
        {
            await call.ConfigureAwait(false);
            await EndAsync(http, state, context, Status.Ok).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            var status = ToStatus(error, http, deadlineReached.Task.IsCompleted);
            if (status is { } s)
                await EndAsync(http, state, context, s).ConfigureAwait(false);
        }
    }

    // Kestrel's whole-body cap (30 MB) and minimum upload rate suit one HTTP request, not a gRPC
    // stream: a screening batch sends many photos, with pauses between them. Messages are capped
    // one by one (MaxReceiveMessageSize) instead.
    private static void LiftBodyLimits(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody)
            maxBody.MaxRequestBodySize = null;
        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRate)
            minRate.MinDataRate = null;
    }

    // System timers take at most ~49.7 days; longer deadlines re-arm until the clock says they passed.
    private static readonly TimeSpan MaxTimerDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static ITimer StartDeadlineTimer(TimeProvider clock, TimeSpan timeout, DateTimeOffset deadlineAt, TaskCompletionSource reached)
    {
        ITimer? timer = null;
        var gate = new object();
        void Tick()
        {
            var remaining = deadlineAt - clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                reached.TrySetResult();
                return;
            }
            lock (gate)
                timer?.Change(remaining < MaxTimerDueTime ? remaining : MaxTimerDueTime, Timeout.InfiniteTimeSpan);
        }
        lock (gate)
            timer = clock.CreateTimer(_ => Tick(), null, timeout < MaxTimerDueTime ? timeout : MaxTimerDueTime, Timeout.InfiniteTimeSpan);
        return timer;
    }

    private async Task CompleteResponseAsync(HttpContext http)
    {
        try
        {
            await http.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            logger.LogDebug(error, "Could not complete the response of {Method}; the client is likely gone", Method.FullName);
        }
    }

    protected abstract Task RunAsync(HttpContext http, ServerCallContext context, string? encoding, bool compress, CallState state);

    private Status? ToStatus(Exception error, HttpContext http, bool deadlinePassed)
    {
        switch (error)
        {
            case RpcException rpc:
                return rpc.Status;
            case OperationCanceledException when deadlinePassed:
                return new Status(StatusCode.DeadlineExceeded, "Deadline exceeded.");
            case OperationCanceledException or IOException when http.RequestAborted.IsCancellationRequested:
                return null; // The client is gone; there is no one to tell.
            case OperationCanceledException:
                return new Status(StatusCode.Cancelled, "The call was cancelled.");
            default:
                logger.LogError(error, "Unhandled exception in {Method}", Method.FullName);
                return new Status(StatusCode.Unknown, "Exception was thrown by handler.");
        }
    }

    private async Task<bool> CheckRequestAsync(HttpContext http)
    {
        bool http2OrLater = http.Request.Protocol is "HTTP/2" or "HTTP/2.0" or "HTTP/3" or "HTTP/3.0";
        if (!HttpMethods.IsPost(http.Request.Method) || !http2OrLater)
        {
            http.Response.StatusCode = http2OrLater ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status426UpgradeRequired;
            http.Response.ContentType = "text/plain";
            await http.Response.WriteAsync($"gRPC requires HTTP/2 POST (got {http.Request.Protocol} {http.Request.Method}). Use a gRPC client.\n").ConfigureAwait(false);
            return false;
        }
        if (!GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            http.Response.Headers[GrpcProtocol.StatusTrailer] = ((int)StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers[GrpcProtocol.MessageTrailer] = GrpcProtocol.EncodeMessage($"Content-Type '{http.Request.ContentType}' is not supported; use application/grpc.");
            return false;
        }
        return true;
    }

    private static void Finish(HttpContext http, CallState state, Status status)
    {
        state.Completed = true;
        GrpcProtocol.SetStatus(http.Response, status, trailers: null);
    }

    private async Task EndAsync(HttpContext http, CallState state, ServerCallContext? context, Status status)
    {
        await state.WriteLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (state.Completed)
                return;
            state.Completed = true;
            GrpcProtocol.SetStatus(http.Response, status, context?.ResponseTrailersSnapshot);
            if (http.Response.HasStarted)
                await http.Response.BodyWriter.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away while the status was being written; nobody is left to tell.
            logger.LogDebug(error, "Could not send the status of {Method}", Method.FullName);
        }
        finally
        {
            state.WriteLock.Release();
        }
    }

    internal static T Parse<T>(MessageParser<T> parser, byte[] bytes) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to deserialize the request message: {e.Message}");
        }
    }

    protected async Task<TRequest> ReadSingleAsync<TRequest>(HttpContext http, MessageParser<TRequest> parser, string? encoding, CancellationToken cancellation)
        where TRequest : IMessage<TRequest>
    {
        var reader = http.Request.BodyReader;
        var first = await MessageFraming.ReadAsync(reader, Options.MaxReceiveMessageSize, encoding, cancellation).ConfigureAwait(false)
            ?? throw new RpcException(StatusCode.Internal, "The request has no message; a unary call needs exactly one.");
        if (await MessageFraming.ReadAsync(reader, Options.MaxReceiveMessageSize, encoding, cancellation).ConfigureAwait(false) is not null)
            throw new RpcException(StatusCode.Internal, "The request has more than one message; a unary call needs exactly one.");
        return Parse(parser, first);
    }

    protected async Task InterceptAsync(ServerCallContext context)
    {
        if (Options.Interceptor is { } interceptor && !Options.PublicServices.Contains(Method.Service))
            await interceptor(context).ConfigureAwait(false);
    }
}

internal sealed class UnaryCallHandler<TRequest, TResponse>(MethodDescriptor method, GrpcServerOptions options, ILogger logger,
    MessageParser<TRequest> parser, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
    : CallHandler(method, options, logger)
    where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
{
    protected override async Task RunAsync(HttpContext http, ServerCallContext context, string? encoding, bool compress, CallState state)
    {
        await InterceptAsync(context).ConfigureAwait(false);
        var request = await ReadSingleAsync(http, parser, encoding, context.CancellationToken).ConfigureAwait(false);
        var response = await handler(request, context).ConfigureAwait(false);
        await new ResponseStreamWriter<TResponse>(http, Options, compress, state).WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ClientStreamingCallHandler<TRequest, TResponse>(MethodDescriptor method, GrpcServerOptions options, ILogger logger,
    MessageParser<TRequest> parser, Func<IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler)
    : CallHandler(method, options, logger)
    where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
{
    protected override async Task RunAsync(HttpContext http, ServerCallContext context, string? encoding, bool compress, CallState state)
    {
        await InterceptAsync(context).ConfigureAwait(false);
        var reader = new RequestStreamReader<TRequest>(http, parser, Options, encoding, context.CancellationToken);
        var response = await handler(reader, context).ConfigureAwait(false);
        await new ResponseStreamWriter<TResponse>(http, Options, compress, state).WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingCallHandler<TRequest, TResponse>(MethodDescriptor method, GrpcServerOptions options, ILogger logger,
    MessageParser<TRequest> parser, Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
    : CallHandler(method, options, logger)
    where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
{
    protected override async Task RunAsync(HttpContext http, ServerCallContext context, string? encoding, bool compress, CallState state)
    {
        await InterceptAsync(context).ConfigureAwait(false);
        var request = await ReadSingleAsync(http, parser, encoding, context.CancellationToken).ConfigureAwait(false);
        await handler(request, new ResponseStreamWriter<TResponse>(http, Options, compress, state), context).ConfigureAwait(false);
    }
}

internal sealed class DuplexStreamingCallHandler<TRequest, TResponse>(MethodDescriptor method, GrpcServerOptions options, ILogger logger,
    MessageParser<TRequest> parser, Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
    : CallHandler(method, options, logger)
    where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
{
    protected override async Task RunAsync(HttpContext http, ServerCallContext context, string? encoding, bool compress, CallState state)
    {
        await InterceptAsync(context).ConfigureAwait(false);
        var reader = new RequestStreamReader<TRequest>(http, parser, Options, encoding, context.CancellationToken);
        await handler(reader, new ResponseStreamWriter<TResponse>(http, Options, compress, state), context).ConfigureAwait(false);
    }
}
