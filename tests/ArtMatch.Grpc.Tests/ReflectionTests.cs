using Google.Protobuf.Reflection;
using Grpc.Reflection.V1Alpha;

namespace ArtMatch.Grpc.Tests;

public class ReflectionTests
{
    private const string Method = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

    [Fact]
    public async Task ListServices_NamesEveryRegisteredService()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var responses = await server.CreateClient().CallAsync(Method, [new ServerReflectionRequest { ListServices = "" }], ServerReflectionResponse.Parser);

        var names = Assert.Single(responses).ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Equal(["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "test.Echo"], names);
    }

    [Fact]
    public async Task FileContainingSymbol_ServesTheFileDescriptor()
    {
        await using var server = await TestGrpcServer.StartAsync();

        var responses = await server.CreateClient().CallAsync(Method,
            [new ServerReflectionRequest { FileContainingSymbol = "grpc.health.v1.Health" }, new ServerReflectionRequest { FileContainingSymbol = "no.Such" }],
            ServerReflectionResponse.Parser);

        var file = FileDescriptorProto.Parser.ParseFrom(responses[0].FileDescriptorResponse.FileDescriptorProto[0]);
        Assert.Equal("grpc/health/v1/health.proto", file.Name);
        Assert.Contains(file.Service, s => s.Name == "Health");
        Assert.Equal((int)StatusCode.NotFound, responses[1].ErrorResponse.ErrorCode);
    }
}
