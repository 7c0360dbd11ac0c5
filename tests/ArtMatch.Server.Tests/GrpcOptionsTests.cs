using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>What the server sets through grpc-dotnet's options and services: compression, limits, unknown methods, reflection.</summary>
public sealed class GrpcOptionsTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private static readonly Metadata GzipRequest = new() { { "grpc-internal-encoding-request", "gzip" } };

    [Fact]
    public async Task Match_GzipRequestFromAClientAcceptingGzip_AnsweredAndReplyGzipped()
    {
        await using var server = await fixture.StartInProcessAsync();

        var response = await server.Client().MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(fixture.Photo(6)), TopK = 2 }, GzipRequest);

        Assert.Equal(fixture.Objects[6].Id, response.Candidates[0].Object.ObjectId);
        Assert.Equal("gzip", server.Wire.Last!.Headers.GetValues("grpc-encoding").Single());
    }

    [Fact]
    public async Task Match_GzipMessageUnderTheLimitThatInflatesPastIt_ResourceExhausted()
    {
        await using var server = await fixture.StartInProcessAsync(new ServerSettings { MaxMessageBytes = 100_000 });
        // A megabyte of zeros squeezes to about a kilobyte: the limit must apply after decompression.
        var request = new Wire.MatchRequest { Photo = ByteString.CopyFrom(new byte[1_000_000]) };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().MatchAsync(request, GzipRequest).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Theory]
    [InlineData("artmatch.v1.ArtMatch", "Nope")]
    [InlineData("no.such.Service", "Call")]
    public async Task Call_UnknownMethodOrService_Unimplemented(string service, string method)
    {
        await using var server = await fixture.StartInProcessAsync();
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var unknown = new Method<byte[], byte[]>(MethodType.Unary, service, method, bytes, bytes);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Channel.CreateCallInvoker().AsyncUnaryCall(unknown, null, new CallOptions(), []).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Reflection_ListAndFileContainingSymbol_ServicesAndTheArtMatchProto()
    {
        await using var server = await fixture.StartInProcessAsync();
        using var call = new ServerReflection.ServerReflectionClient(server.Channel).ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "artmatch.v1.ArtMatch" });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "no.such.Symbol" });
        await call.RequestStream.CompleteAsync();
        var answers = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(
            ["artmatch.v1.ArtMatch", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"],
            answers[0].ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal));
        var file = FileDescriptorProto.Parser.ParseFrom(answers[1].FileDescriptorResponse.FileDescriptorProto[0]);
        Assert.Equal(("artmatch/v1/artmatch.proto", "artmatch.v1"), (file.Name, file.Package));
        Assert.Equal(Wire.ArtMatch.Descriptor.Methods.Select(m => m.Name), Assert.Single(file.Service).Method.Select(m => m.Name));
        Assert.Equal((int)StatusCode.NotFound, answers[2].ErrorResponse.ErrorCode);
    }
}
