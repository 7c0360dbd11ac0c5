using Google.Protobuf;
using Google.Protobuf.Reflection;
using ArtMatch.Grpc.Internal;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Grpc;

/// <summary>
/// The methods a server offers, by "/package.Service/Method", each with its request parser and
/// handler, plus the proto files that describe them (for server reflection).
/// </summary>
public sealed class GrpcServiceRegistry
{
    private readonly List<Func<GrpcServerOptions, ILogger, CallHandler>> _factories = [];
    private readonly List<MethodDescriptor> _methods = [];
    private readonly List<FileDescriptor> _files = [];

    public IReadOnlyList<MethodDescriptor> Methods => _methods;

    public IReadOnlyList<FileDescriptor> Files => _files;

    public IEnumerable<string> ServiceNames => _methods.Select(m => m.Service).Distinct(StringComparer.Ordinal);

    /// <summary>Records a proto file (and its dependencies) so reflection can serve it.</summary>
    public GrpcServiceRegistry AddFile(FileDescriptor file)
    {
        if (!_files.Contains(file))
            _files.Add(file);
        return this;
    }

    public GrpcServiceRegistry AddUnary<TRequest, TResponse>(string service, string method, MessageParser<TRequest> parser,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Add(new MethodDescriptor(service, method, MethodType.Unary), (d, o, l) => new UnaryCallHandler<TRequest, TResponse>(d, o, l, parser, handler));

    public GrpcServiceRegistry AddClientStreaming<TRequest, TResponse>(string service, string method, MessageParser<TRequest> parser,
        Func<IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Add(new MethodDescriptor(service, method, MethodType.ClientStreaming), (d, o, l) => new ClientStreamingCallHandler<TRequest, TResponse>(d, o, l, parser, handler));

    public GrpcServiceRegistry AddServerStreaming<TRequest, TResponse>(string service, string method, MessageParser<TRequest> parser,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Add(new MethodDescriptor(service, method, MethodType.ServerStreaming), (d, o, l) => new ServerStreamingCallHandler<TRequest, TResponse>(d, o, l, parser, handler));

    public GrpcServiceRegistry AddDuplexStreaming<TRequest, TResponse>(string service, string method, MessageParser<TRequest> parser,
        Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Add(new MethodDescriptor(service, method, MethodType.DuplexStreaming), (d, o, l) => new DuplexStreamingCallHandler<TRequest, TResponse>(d, o, l, parser, handler));

    private GrpcServiceRegistry Add(MethodDescriptor method, Func<MethodDescriptor, GrpcServerOptions, ILogger, CallHandler> factory)
    {
        if (_methods.Any(m => m.FullName == method.FullName))
            throw new InvalidOperationException($"Method {method.FullName} is registered twice.");
        _methods.Add(method);
        _factories.Add((options, logger) => factory(method, options, logger));
        return this;
    }

    internal IEnumerable<CallHandler> CreateHandlers(GrpcServerOptions options, ILogger logger) => _factories.Select(f => f(options, logger));
}
