using ArtMatch.Grpc.Api.V1;
using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;
using Google.Protobuf.Reflection;

namespace ArtMatch.Grpc.Tests;

public sealed class GrpcServiceRegistryTests
{
    private static Google.Protobuf.Reflection.MethodDescriptor ArtMatchMethod(string name) =>
        ArtmatchReflection.Descriptor.FindTypeByName<ServiceDescriptor>("ArtMatch").FindMethodByName(name);

    private static Task<MatchResponse> Match(MatchRequest request, ServerCallContext context) =>
        Task.FromResult(new MatchResponse { Verdict = Verdict.NoMatch, ModelId = "test" });

    [Fact]
    public void AddUnary_FromDescriptor_RoutedByFullNameAndFileKept()
    {
        var registry = new GrpcServiceRegistry().AddUnary<MatchRequest, MatchResponse>(ArtMatchMethod("Match"), Match);

        var method = Assert.Single(registry.Methods);
        Assert.Equal("/artmatch.v1.ArtMatch/Match", method.FullName);
        Assert.Equal(MethodType.Unary, method.Type);
        Assert.Contains(ArtmatchReflection.Descriptor, registry.Files);
    }

    [Fact]
    public void AddUnary_DescriptorOfStreamingMethod_RefusedNamingBothShapes()
    {
        var registry = new GrpcServiceRegistry();

        var error = Assert.Throws<ArgumentException>(() =>
            registry.AddUnary<ScreenItem, ScreenResult>(ArtMatchMethod("ScreenBatch"), (_, _) => Task.FromResult(new ScreenResult())));

        Assert.StartsWith("/artmatch.v1.ArtMatch/ScreenBatch is a DuplexStreaming method in its .proto, but was registered with a Unary handler.", error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Methods);
    }

    [Fact]
    public void AddUnary_DescriptorWithOtherRequestType_Refused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new GrpcServiceRegistry().AddUnary<GetObjectRequest, MatchResponse>(ArtMatchMethod("Match"), (_, _) => Task.FromResult(new MatchResponse())));

        Assert.StartsWith("/artmatch.v1.ArtMatch/Match takes artmatch.v1.MatchRequest, but the handler takes GetObjectRequest.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddUnary_SameMethodTwice_Refused()
    {
        var registry = new GrpcServiceRegistry().AddUnary<MatchRequest, MatchResponse>(ArtMatchMethod("Match"), Match);

        var error = Assert.Throws<InvalidOperationException>(() => registry.AddUnary<MatchRequest, MatchResponse>(ArtMatchMethod("Match"), Match));

        Assert.Equal("Method /artmatch.v1.ArtMatch/Match is registered twice.", error.Message);
    }

    [Fact]
    public async Task AddDuplexStreaming_FromDescriptor_ServesScreenBatch()
    {
        // A stand-in ScreenBatch that answers each item with an error result: the shape the server's will have.
        var registry = new GrpcServiceRegistry().AddDuplexStreaming<ScreenItem, ScreenResult>(ArtMatchMethod("ScreenBatch"), async (items, results, context) =>
        {
            await foreach (var item in items.ReadAllAsync(context.CancellationToken))
            {
                await results.WriteAsync(new ScreenResult
                {
                    CallerId = item.CallerId,
                    Error = new ScreenError { Code = (int)StatusCode.InvalidArgument, Message = $"{item.Photo.Length} bytes is not an image" },
                }, context.CancellationToken);
            }
        });
        await using var server = await KestrelRegistryServer.StartAsync(registry);
        using var client = GrpcClient.ForAddress(server.Address);

        var results = await client.CallAsync("/artmatch.v1.ArtMatch/ScreenBatch",
            [new ScreenItem { CallerId = "lot-1" }, new ScreenItem { CallerId = "lot-2", Photo = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) }], ScreenResult.Parser);

        Assert.Equal(["lot-1", "lot-2"], results.Select(r => r.CallerId));
        Assert.Equal("3 bytes is not an image", results[1].Error.Message);
    }
}
