using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>Hostile or careless requests: unknown enum values, huge ids, method names in the wrong case.</summary>
public sealed class RequestValidationTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public async Task Match_UnknownStatusInFilter_InvalidArgumentNamingIt()
    {
        await using var server = await fixture.StartInProcessAsync();
        var request = new Wire.MatchRequest { Photo = ByteString.CopyFrom(fixture.Photo(2)), TopK = 1, Filter = new Wire.Filter() };
        request.Filter.Statuses.Add(Wire.ObjectStatus.Stolen);
        request.Filter.Statuses.Add((Wire.ObjectStatus)99);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().MatchAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("filter.statuses[1] = 99 is not a known value", error.Status.Detail);
    }

    [Fact]
    public async Task Upsert_UnknownObjectStatus_InvalidArgument()
    {
        await using var server = await fixture.StartInProcessAsync();
        var request = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "ENUM-1", Status = (Wire.ObjectStatus)7 } };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().UpsertObjectAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("object.status = 7", error.Status.Detail);
    }

    [Fact]
    public async Task GetObject_MegabyteId_InvalidArgumentWithoutEchoingIt()
    {
        await using var server = await fixture.StartInProcessAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            server.Client().GetObjectAsync(new Wire.GetObjectRequest { ObjectId = new string('x', 1 << 20) }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("object_id is 1048576 characters; the limit is 200.", error.Status.Detail);
    }

    [Fact]
    public async Task Upsert_LongBadDate_EchoedAsAShortPrefix()
    {
        await using var server = await fixture.StartInProcessAsync();
        var request = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "DATE-1", DateReported = new string('9', 100_000) } };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().UpsertObjectAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.True(error.Status.Detail.Length < 200, error.Status.Detail);
        Assert.Contains("(100000 characters)", error.Status.Detail);
    }

    [Theory]
    [InlineData("artmatch.v1.ArtMatch", "getobject")]
    [InlineData("ARTMATCH.V1.ARTMATCH", "GetObject")]
    public async Task Call_MethodPathInAnotherCase_Unimplemented(string service, string method)
    {
        await using var server = await fixture.StartInProcessAsync();
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var call = new Method<byte[], byte[]>(MethodType.Unary, service, method, bytes, bytes);
        var request = new Wire.GetObjectRequest { ObjectId = fixture.Objects[0].Id }.ToByteArray();

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(), request).ResponseAsync);
        var exact = new Method<byte[], byte[]>(MethodType.Unary, "artmatch.v1.ArtMatch", "GetObject", bytes, bytes);
        var answered = Wire.GetObjectResponse.Parser.ParseFrom(await server.Channel.CreateCallInvoker().AsyncUnaryCall(exact, null, new CallOptions(), request).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal(fixture.Objects[0].Id, answered.Object.ObjectId);
    }

    [Fact]
    public async Task Call_MalformedRequestMessage_InternalAsGrpcsOwnServersAnswer()
    {
        await using var server = await fixture.StartInProcessAsync();
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var match = new Method<byte[], byte[]>(MethodType.Unary, "artmatch.v1.ArtMatch", "Match", bytes, bytes);

        // Field 1 (photo) declaring a length far past the end of the message.
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            server.Channel.CreateCallInvoker().AsyncUnaryCall(match, null, new CallOptions(), [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).ResponseAsync);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("could not be parsed", error.Status.Detail);
    }
}
