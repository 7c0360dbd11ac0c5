using ArtMatch.Grpc.Tests.Echo;
using Google.Protobuf;

namespace ArtMatch.Grpc.Tests.Support;

/// <summary>The test-only echo.proto service; records what its slow handler saw so tests can assert on it.</summary>
internal sealed class EchoService
{
    public const string Name = "test.echo.v1.Echo";

    /// <summary>Set when Sleep starts waiting, so a test knows the call is in the handler.</summary>
    public TaskCompletionSource SleepStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when Sleep's token is cancelled, with the deadline it saw.</summary>
    public TaskCompletionSource<DateTime> SleepCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GrpcServiceRegistry Register(GrpcServiceRegistry registry) => registry
        .AddFile(EchoReflection.Descriptor)
        .AddUnary<EchoRequest, EchoReply>(Name, "Say", EchoRequest.Parser, SayAsync)
        .AddClientStreaming<EchoRequest, EchoReply>(Name, "Collect", EchoRequest.Parser, CollectAsync)
        .AddServerStreaming<EchoRequest, EchoReply>(Name, "Expand", EchoRequest.Parser, ExpandAsync)
        .AddDuplexStreaming<EchoRequest, EchoReply>(Name, "Chat", EchoRequest.Parser, ChatAsync)
        .AddUnary<EchoRequest, EchoReply>(Name, "Sleep", EchoRequest.Parser, SleepAsync)
        .AddUnary<EchoRequest, EchoReply>(Name, "Fail", EchoRequest.Parser, Fail);

    private static Task<EchoReply> SayAsync(EchoRequest request, ServerCallContext context)
    {
        // "trailer:" asks for a response trailer, to show handlers can add metadata to the status.
        if (request.Text.StartsWith("trailer:", StringComparison.Ordinal))
            context.ResponseTrailers["echo-trailer"] = request.Text["trailer:".Length..];
        // "bin:" echoes the x-blob-bin metadata back as hex, to show binary metadata decoding.
        if (request.Text == "bin:")
            return Task.FromResult(new EchoReply { Text = Convert.ToHexString(context.GetBinaryMetadata("x-blob-bin") ?? []) });
        string? caller = context.Caller;
        return Task.FromResult(new EchoReply { Text = caller is null ? request.Text : $"{caller}:{request.Text}", Payload = request.Payload });
    }

    private static async Task<EchoReply> CollectAsync(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        var texts = new List<string>();
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
            texts.Add(request.Text);
        return new EchoReply { Text = string.Join('+', texts), Index = texts.Count };
    }

    private static async Task ExpandAsync(EchoRequest request, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        for (int i = 0; i < request.Repeat; i++)
            await responses.WriteAsync(new EchoReply { Text = request.Text, Index = i }, context.CancellationToken);
        if (request.Code > 0)
            throw new RpcException((StatusCode)request.Code, $"failed after {request.Repeat} messages");
    }

    private static async Task ChatAsync(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        int index = 0;
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
            await responses.WriteAsync(new EchoReply { Text = request.Text.ToUpperInvariant(), Index = index++ }, context.CancellationToken);
    }

    private async Task<EchoReply> SleepAsync(EchoRequest request, ServerCallContext context)
    {
        SleepStarted.TrySetResult();
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            SleepCancelled.TrySetResult(context.Deadline);
            throw;
        }
        return new EchoReply { Text = "woke up" };
    }

    private static Task<EchoReply> Fail(EchoRequest request, ServerCallContext context)
    {
        if (request.Code > 0)
            throw new RpcException((StatusCode)request.Code, request.Text);
        throw new InvalidOperationException("secret internal detail " + request.Text);
    }

    public static byte[] Bytes(IMessage message) => message.ToByteArray();
}
