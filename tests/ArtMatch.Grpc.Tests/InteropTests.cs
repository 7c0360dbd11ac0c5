using System.Text.Json;
using ArtMatch.Grpc.Tests.Support;

namespace ArtMatch.Grpc.Tests;

/// <summary>
/// The same calls made by clients we did not write, against a real Kestrel over cleartext HTTP/2:
/// what a customs system in Python or a web back end in Node will do.
/// </summary>
public abstract class InteropTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private protected abstract Task<JsonElement> RunClientAsync(int port, string scenario);

    private async Task<JsonElement> RunAsync(string scenario, GrpcServerOptions? options = null)
    {
        await using var server = await KestrelGrpcServer.StartAsync(options);
        return await RunClientAsync(server.Port, scenario);
    }

    private static List<(string, int)> Replies(JsonElement result) =>
        result.GetProperty("replies").EnumerateArray().Select(r => (r[0].GetString()!, r[1].GetInt32())).ToList();

    [Fact]
    public async Task Unary_Say_EchoesText()
    {
        var result = await RunAsync("unary");

        Assert.StartsWith("hello from ", result.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerStream_Expand_ThreeRepliesInOrder()
    {
        var result = await RunAsync("server_stream");

        Assert.Equal([("tick", 0), ("tick", 1), ("tick", 2)], Replies(result));
    }

    [Fact]
    public async Task ClientStream_Collect_JoinsAllRequests()
    {
        var result = await RunAsync("client_stream");

        Assert.Equal("a+b+c", result.GetProperty("text").GetString());
        Assert.Equal(3, result.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Bidi_Chat_AnswersEachRequest()
    {
        var result = await RunAsync("bidi");

        Assert.Equal([("ONE", 0), ("TWO", 1), ("THREE", 2)], Replies(result));
    }

    [Fact]
    public async Task Deadline_SleepPastTimeout_DeadlineExceededAndServerHandlerCancelled()
    {
        await using var server = await KestrelGrpcServer.StartAsync();

        var result = await RunClientAsync(server.Port, "deadline");
        var deadlineSeen = await server.Echo.SleepCancelled.Task.WaitAsync(Hang);

        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
        Assert.NotEqual(DateTime.MaxValue, deadlineSeen); // the client's grpc-timeout reached the handler
    }

    [Fact]
    public async Task Error_FailNotFound_CodeAndUnicodeMessageIntact()
    {
        var result = await RunAsync("error");

        Assert.Equal("NOT_FOUND", result.GetProperty("code").GetString());
        Assert.Equal("no object «42», 100% sure", result.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Health_CheckServer_Serving()
    {
        var result = await RunAsync("health");

        Assert.Equal("SERVING", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Reflection_ListServices_AllFour()
    {
        var result = await RunAsync("reflection");

        var services = result.GetProperty("services").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Equal(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "test.echo.v1.Echo"], services);
    }
}

public sealed class PythonGrpcioInteropTests : InteropTests
{
    private protected override Task<JsonElement> RunClientAsync(int port, string scenario) => InteropPeers.RunPythonAsync(port, scenario);

    [Fact]
    public async Task UnaryGzip_CompressionBothWays_Decoded()
    {
        await using var server = await KestrelGrpcServer.StartAsync(new GrpcServerOptions { EnableResponseCompression = true });

        var result = await RunClientAsync(server.Port, "unary_gzip");

        Assert.Equal(1000, result.GetProperty("length").GetInt32());
    }

    [Fact]
    public async Task UnknownMethod_Nope_UnimplementedWithPath()
    {
        await using var server = await KestrelGrpcServer.StartAsync();

        var result = await RunClientAsync(server.Port, "unknown_method");

        Assert.Equal("UNIMPLEMENTED", result.GetProperty("code").GetString());
        Assert.Equal("Method not found: /test.echo.v1.Echo/Nope", result.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Reflection_FileContainingSymbol_DescribesEchoMethods()
    {
        await using var server = await KestrelGrpcServer.StartAsync();

        var result = await RunClientAsync(server.Port, "reflection");

        var methods = result.GetProperty("methods").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Equal(["Say", "Collect", "Expand", "Chat", "Sleep", "Fail"], methods);
    }
}

public sealed class NodeGrpcJsInteropTests : InteropTests
{
    private protected override Task<JsonElement> RunClientAsync(int port, string scenario) => InteropPeers.RunNodeAsync(port, scenario);
}
