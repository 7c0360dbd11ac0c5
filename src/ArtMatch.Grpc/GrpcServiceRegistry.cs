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

    /// <summary>
    /// Registers a unary method from its generated descriptor (e.g.
    /// <c>ArtmatchReflection.Descriptor.FindTypeByName&lt;ServiceDescriptor&gt;("ArtMatch").FindMethodByName("Match")</c>):
    /// the route, the request parser and the proto file for reflection come from the descriptor, and
    /// a method whose shape or message types do not match the handler is refused at startup.
    /// </summary>
    public GrpcServiceRegistry AddUnary<TRequest, TResponse>(Google.Protobuf.Reflection.MethodDescriptor method, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        AddUnary(Checked<TRequest, TResponse>(method, MethodType.Unary), method.Name, ParserOf<TRequest>(method), handler);

    /// <inheritdoc cref="AddUnary{TRequest, TResponse}(Google.Protobuf.Reflection.MethodDescriptor, Func{TRequest, ServerCallContext, Task{TResponse}})"/>
    public GrpcServiceRegistry AddClientStreaming<TRequest, TResponse>(Google.Protobuf.Reflection.MethodDescriptor method, Func<IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        AddClientStreaming(Checked<TRequest, TResponse>(method, MethodType.ClientStreaming), method.Name, ParserOf<TRequest>(method), handler);

    /// <inheritdoc cref="AddUnary{TRequest, TResponse}(Google.Protobuf.Reflection.MethodDescriptor, Func{TRequest, ServerCallContext, Task{TResponse}})"/>
    public GrpcServiceRegistry AddServerStreaming<TRequest, TResponse>(Google.Protobuf.Reflection.MethodDescriptor method, Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        AddServerStreaming(Checked<TRequest, TResponse>(method, MethodType.ServerStreaming), method.Name, ParserOf<TRequest>(method), handler);

    /// <inheritdoc cref="AddUnary{TRequest, TResponse}(Google.Protobuf.Reflection.MethodDescriptor, Func{TRequest, ServerCallContext, Task{TResponse}})"/>
    public GrpcServiceRegistry AddDuplexStreaming<TRequest, TResponse>(Google.Protobuf.Reflection.MethodDescriptor method, Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        AddDuplexStreaming(Checked<TRequest, TResponse>(method, MethodType.DuplexStreaming), method.Name, ParserOf<TRequest>(method), handler);

    // Returns the service's full name once the descriptor is known to fit the handler.
    private string Checked<TRequest, TResponse>(Google.Protobuf.Reflection.MethodDescriptor method, MethodType expected)
    {
        ArgumentNullException.ThrowIfNull(method);
        string name = $"/{method.Service.FullName}/{method.Name}";
        var actual = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
        if (actual != expected)
            throw new ArgumentException($"{name} is a {actual} method in its .proto, but was registered with a {expected} handler.", nameof(method));
        if (method.InputType.ClrType != typeof(TRequest))
            throw new ArgumentException($"{name} takes {method.InputType.FullName}, but the handler takes {typeof(TRequest).Name}.", nameof(method));
        if (method.OutputType.ClrType != typeof(TResponse))
            throw new ArgumentException($"{name} returns {method.OutputType.FullName}, but the handler returns {typeof(TResponse).Name}.", nameof(method));
        AddFile(method.File);
        return method.Service.FullName;
    }

    private static MessageParser<T> ParserOf<T>(Google.Protobuf.Reflection.MethodDescriptor method) where T : IMessage<T> =>
        (MessageParser<T>)method.InputType.Parser;

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
