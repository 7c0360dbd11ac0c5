using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1Alpha;
using V1 = Grpc.Reflection.V1;

namespace ArtMatch.Grpc;

/// <summary>
/// grpc.reflection.v1alpha.ServerReflection: lists the registry's services and serves the proto
/// files (with their dependencies) that define a file name or a symbol, so tools such as grpcurl
/// can call ArtMatch without its .proto files.
/// </summary>
public sealed class ReflectionService(GrpcServiceRegistry registry)
{
    public const string ServiceName = "grpc.reflection.v1alpha.ServerReflection";

    /// <summary>The same protocol under its stable name, which current tools try before v1alpha.</summary>
    public const string V1ServiceName = "grpc.reflection.v1.ServerReflection";

    /// <summary>
    /// Registers v1alpha (what grpcio's and grpc-js's reflection clients speak) and, when asked, v1
    /// as well (grpcurl, grpcui and Postman try v1 first and fall back to v1alpha).
    /// </summary>
    public GrpcServiceRegistry Register(bool includeV1 = false)
    {
        registry
            .AddFile(ReflectionReflection.Descriptor)
            .AddDuplexStreaming<ServerReflectionRequest, ServerReflectionResponse>(ServiceName, "ServerReflectionInfo", ServerReflectionRequest.Parser, InfoAsync);
        if (includeV1)
        {
            registry
                .AddFile(V1.ReflectionReflection.Descriptor)
                .AddDuplexStreaming<V1.ServerReflectionRequest, V1.ServerReflectionResponse>(V1ServiceName, "ServerReflectionInfo", V1.ServerReflectionRequest.Parser, V1InfoAsync);
        }
        return registry;
    }

    private async Task InfoAsync(IAsyncStreamReader<ServerReflectionRequest> requests, IServerStreamWriter<ServerReflectionResponse> responses, ServerCallContext context)
    {
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            await responses.WriteAsync(Answer(requests.Current), context.CancellationToken).ConfigureAwait(false);
    }

    // v1 and v1alpha messages are the same on the wire, so v1 is answered by re-reading the bytes.
    private async Task V1InfoAsync(IAsyncStreamReader<V1.ServerReflectionRequest> requests,
        IServerStreamWriter<V1.ServerReflectionResponse> responses, ServerCallContext context)
    {
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var answer = Answer(ServerReflectionRequest.Parser.ParseFrom(requests.Current.ToByteString()));
            await responses.WriteAsync(V1.ServerReflectionResponse.Parser.ParseFrom(answer.ToByteString()), context.CancellationToken).ConfigureAwait(false);
        }
    }

    internal ServerReflectionResponse Answer(ServerReflectionRequest request)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                var list = new ListServiceResponse();
                list.Service.AddRange(registry.ServiceNames.Order(StringComparer.Ordinal).Select(n => new ServiceResponse { Name = n }));
                response.ListServicesResponse = list;
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                Respond(response, AllFiles().FirstOrDefault(f => f.Name == request.FileByFilename), $"File not found: {request.FileByFilename}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                Respond(response, FileDeclaring(request.FileContainingSymbol), $"Symbol not found: {request.FileContainingSymbol}");
                break;
            default:
                response.ErrorResponse = new ErrorResponse { ErrorCode = (int)StatusCode.Unimplemented, ErrorMessage = $"{request.MessageRequestCase} is not supported." };
                break;
        }
        return response;
    }

    private static void Respond(ServerReflectionResponse response, FileDescriptor? file, string notFound)
    {
        if (file is null)
        {
            response.ErrorResponse = new ErrorResponse { ErrorCode = (int)StatusCode.NotFound, ErrorMessage = notFound };
            return;
        }
        // The file first, then every file it depends on, so the client can build the descriptors.
        var answer = new FileDescriptorResponse();
        var seen = new HashSet<string>();
        void Add(FileDescriptor f)
        {
            if (!seen.Add(f.Name))
                return;
            answer.FileDescriptorProto.Add(f.SerializedData);
            foreach (var dependency in f.Dependencies)
                Add(dependency);
        }
        Add(file);
        response.FileDescriptorResponse = answer;
    }

    private IEnumerable<FileDescriptor> AllFiles()
    {
        var seen = new HashSet<string>();
        var stack = new Stack<FileDescriptor>(registry.Files);
        while (stack.Count > 0)
        {
            var file = stack.Pop();
            if (!seen.Add(file.Name))
                continue;
            yield return file;
            foreach (var dependency in file.Dependencies)
                stack.Push(dependency);
        }
    }

    private FileDescriptor? FileDeclaring(string symbol)
    {
        foreach (var file in AllFiles())
        {
            foreach (var service in file.Services)
            {
                if (service.FullName == symbol || service.Methods.Any(m => $"{service.FullName}.{m.Name}" == symbol))
                    return file;
            }
            var messages = Messages(file.MessageTypes).ToList();
            if (messages.Any(m => m.FullName == symbol)
                || file.EnumTypes.Any(e => e.FullName == symbol)
                || messages.SelectMany(m => m.EnumTypes).Any(e => e.FullName == symbol))
                return file;
        }
        return null;
    }

    private static IEnumerable<MessageDescriptor> Messages(IEnumerable<MessageDescriptor> messages) =>
        messages.SelectMany(m => Messages(m.NestedTypes).Prepend(m));
}
