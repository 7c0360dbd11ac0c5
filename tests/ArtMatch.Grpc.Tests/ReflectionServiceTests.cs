using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1Alpha;

namespace ArtMatch.Grpc.Tests;

public sealed class ReflectionServiceTests
{
    private static async Task<List<ServerReflectionResponse>> AskAsync(params ServerReflectionRequest[] requests)
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] body = [.. requests.SelectMany(r => TestGrpcHost.Frame(r.ToByteArray()))];
        var response = await host.CallAsync("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", body);
        Assert.Equal(StatusCode.OK, response.Status);
        return response.Messages().Select(ServerReflectionResponse.Parser.ParseFrom).ToList();
    }

    [Fact]
    public async Task ListServices_FourRegistered_AllNamedInOrder()
    {
        var answers = await AskAsync(new ServerReflectionRequest { ListServices = "" });

        var names = Assert.Single(answers).ListServicesResponse.Service.Select(s => s.Name);
        Assert.Equal(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "test.echo.v1.Echo"], names);
    }

    [Fact]
    public async Task FileContainingSymbol_Service_ReturnsItsFileThatDescribesIt()
    {
        var answers = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = "test.echo.v1.Echo" });

        var file = FileDescriptorProto.Parser.ParseFrom(Assert.Single(Assert.Single(answers).FileDescriptorResponse.FileDescriptorProto));
        Assert.Equal("Protos/echo.proto", file.Name);
        Assert.Equal(["Say", "Collect", "Expand", "Chat", "Sleep", "Fail"], file.Service.Single().Method.Select(m => m.Name));
    }

    [Theory]
    [InlineData("test.echo.v1.Echo.Chat")]
    [InlineData("test.echo.v1.EchoReply")]
    [InlineData("grpc.health.v1.HealthCheckResponse.ServingStatus")]
    public async Task FileContainingSymbol_MethodMessageOrNestedEnum_Found(string symbol)
    {
        var answers = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = symbol });

        Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, Assert.Single(answers).MessageResponseCase);
    }

    [Fact]
    public async Task FileByFilename_Known_SameBytesAsGeneratedDescriptor()
    {
        var answers = await AskAsync(new ServerReflectionRequest { FileByFilename = "grpc/health/v1/health.proto" });

        var bytes = Assert.Single(Assert.Single(answers).FileDescriptorResponse.FileDescriptorProto);
        Assert.Equal(global::Grpc.Health.V1.HealthReflection.Descriptor.SerializedData, bytes);
    }

    [Fact]
    public async Task UnknownSymbolThenList_ErrorResponseThenStreamGoesOn()
    {
        var answers = await AskAsync(
            new ServerReflectionRequest { FileContainingSymbol = "no.Such" },
            new ServerReflectionRequest { FileByFilename = "nope.proto" },
            new ServerReflectionRequest { ListServices = "*" });

        Assert.Equal(3, answers.Count);
        Assert.Equal((int)StatusCode.NotFound, answers[0].ErrorResponse.ErrorCode);
        Assert.Equal("Symbol not found: no.Such", answers[0].ErrorResponse.ErrorMessage);
        Assert.Equal("File not found: nope.proto", answers[1].ErrorResponse.ErrorMessage);
        Assert.Equal(4, answers[2].ListServicesResponse.Service.Count);
        Assert.Equal("no.Such", answers[0].OriginalRequest.FileContainingSymbol);
    }

    [Fact]
    public void Answer_FileWithDependencies_FileFirstThenEachDependencyOnce()
    {
        // api.proto imports source_context.proto and type.proto, and type.proto imports
        // source_context.proto again (and any.proto): a client needs each of them, once.
        var registry = new GrpcServiceRegistry().AddFile(Google.Protobuf.WellKnownTypes.ApiReflection.Descriptor);
        var reflection = new ReflectionService(registry);

        var answer = reflection.Answer(new ServerReflectionRequest { FileContainingSymbol = "google.protobuf.Api" });

        var names = answer.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b).Name).ToList();
        Assert.Equal("google/protobuf/api.proto", names[0]);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("google/protobuf/source_context.proto", names);
        Assert.Contains("google/protobuf/type.proto", names);
        Assert.Contains("google/protobuf/any.proto", names);
    }

    [Fact]
    public void Answer_ArtMatchApi_ServiceDescribed()
    {
        var registry = new GrpcServiceRegistry().AddFile(ArtMatch.Grpc.Api.V1.ArtmatchReflection.Descriptor);

        var answer = new ReflectionService(registry).Answer(new ServerReflectionRequest { FileContainingSymbol = "artmatch.v1.ArtMatch" });

        var file = FileDescriptorProto.Parser.ParseFrom(Assert.Single(answer.FileDescriptorResponse.FileDescriptorProto));
        Assert.Equal("artmatch/v1/artmatch.proto", file.Name);
        Assert.Contains("ScreenBatch", file.Service.Single().Method.Select(m => m.Name));
    }

    [Fact]
    public async Task V1ListServices_SameAnswerAsV1Alpha()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request = [0x00, 0x00, 0x00, 0x00, 0x02, 0x3A, 0x00]; // ServerReflectionRequest { list_services (field 7) = "" }

        var v1 = await host.CallAsync("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", request);
        var v1Alpha = await host.CallAsync("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", request);

        Assert.Equal(StatusCode.OK, v1.Status);
        Assert.Equal(v1Alpha.Body, v1.Body);
        var answer = global::Grpc.Reflection.V1.ServerReflectionResponse.Parser.ParseFrom(Assert.Single(v1.Messages()));
        Assert.Equal(4, answer.ListServicesResponse.Service.Count);
    }

    [Fact]
    public void Register_Default_V1AlphaOnly()
    {
        var registry = new GrpcServiceRegistry();

        new ReflectionService(registry).Register();

        Assert.Equal([ReflectionService.ServiceName], registry.ServiceNames);
    }
}
