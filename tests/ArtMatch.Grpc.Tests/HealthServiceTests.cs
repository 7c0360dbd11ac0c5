using ArtMatch.Grpc.Tests.Support;
using Grpc.Health.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace ArtMatch.Grpc.Tests;

public sealed class HealthServiceTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static byte[] Ask(string service) => TestGrpcHost.Frame(EchoService.Bytes(new HealthCheckRequest { Service = service }));

    [Fact]
    public async Task Check_WholeServer_ServingByDefault()
    {
        await using var host = await TestGrpcHost.StartAsync();
        byte[] request = [0x00, 0x00, 0x00, 0x00, 0x00]; // HealthCheckRequest {} : service ""

        var response = await host.CallAsync("/grpc.health.v1.Health/Check", request);

        // HealthCheckResponse { status (field 1, varint) = SERVING (1) }
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01 }, response.Body);
        Assert.Equal(StatusCode.OK, response.Status);
    }

    [Fact]
    public async Task Check_ServiceSetNotServing_ReportsIt()
    {
        await using var host = await TestGrpcHost.StartAsync();
        host.Health.SetStatus("artmatch.v1.ArtMatch", ServingStatus.NotServing);

        var response = await host.CallAsync("/grpc.health.v1.Health/Check", Ask("artmatch.v1.ArtMatch"));

        Assert.Equal(ServingStatus.NotServing, HealthCheckResponse.Parser.ParseFrom(Assert.Single(response.Messages())).Status);
    }

    [Fact]
    public async Task Check_UnknownService_NotFound()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/grpc.health.v1.Health/Check", Ask("no.such.Service"));

        Assert.Equal(StatusCode.NotFound, response.Status);
        Assert.Equal("Unknown service 'no.such.Service'.", response.Message);
    }

    [Fact]
    public async Task Watch_StatusChanges_StreamsCurrentThenEachChange()
    {
        await using var host = await TestGrpcHost.StartAsync();
        host.Health.SetStatus("svc", ServingStatus.Serving);
        using var cancel = new CancellationTokenSource();
        using var response = await host.Client.SendAsync(TestGrpcHost.Request("/grpc.health.v1.Health/Watch", Ask("svc")), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();

        var first = await TestGrpcHost.ReadFrameAsync(stream).WaitAsync(Hang);
        host.Health.SetStatus("svc", ServingStatus.NotServing);
        var second = await TestGrpcHost.ReadFrameAsync(stream).WaitAsync(Hang);

        Assert.Equal(ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(first!.Value.Payload).Status);
        Assert.Equal(ServingStatus.NotServing, HealthCheckResponse.Parser.ParseFrom(second!.Value.Payload).Status);
    }

    [Fact]
    public async Task Watch_UnknownService_ServiceUnknownThenServingWhenSet()
    {
        await using var host = await TestGrpcHost.StartAsync();
        using var response = await host.Client.SendAsync(TestGrpcHost.Request("/grpc.health.v1.Health/Watch", Ask("later")), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();

        var first = await TestGrpcHost.ReadFrameAsync(stream).WaitAsync(Hang);
        host.Health.SetStatus("later", ServingStatus.Serving);
        var second = await TestGrpcHost.ReadFrameAsync(stream).WaitAsync(Hang);

        Assert.Equal(ServingStatus.ServiceUnknown, HealthCheckResponse.Parser.ParseFrom(first!.Value.Payload).Status);
        Assert.Equal(ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(second!.Value.Payload).Status);
    }

    [Fact]
    public async Task Watch_SameStatusSetAgain_NoDuplicateThenChangeSent()
    {
        await using var host = await TestGrpcHost.StartAsync();
        host.Health.SetStatus("svc", ServingStatus.Serving);
        using var response = await host.Client.SendAsync(TestGrpcHost.Request("/grpc.health.v1.Health/Watch", Ask("svc")), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();

        var first = await TestGrpcHost.ReadFrameAsync(stream).WaitAsync(Hang);
        host.Health.SetStatus("svc", ServingStatus.Serving);
        host.Health.SetStatus("svc", ServingStatus.NotServing);
        var second = await TestGrpcHost.ReadFrameAsync(stream).WaitAsync(Hang);

        Assert.Equal(ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(first!.Value.Payload).Status);
        Assert.Equal(ServingStatus.NotServing, HealthCheckResponse.Parser.ParseFrom(second!.Value.Payload).Status);
    }

    [Fact]
    public async Task Reflection_DefaultOptionsWithInterceptor_NeedsKeyWhileHealthDoesNot()
    {
        var options = new GrpcServerOptions { Interceptor = _ => throw new RpcException(StatusCode.Unauthenticated, "key needed") };
        await using var host = await TestGrpcHost.StartAsync(options);

        var health = await host.CallAsync("/grpc.health.v1.Health/Check", Ask(""));
        var reflection = await host.CallAsync("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", TestGrpcHost.Frame([0x3A, 0x00])); // list_services = ""

        Assert.Equal(StatusCode.OK, health.Status);
        Assert.Equal(StatusCode.Unauthenticated, reflection.Status);
    }
}
