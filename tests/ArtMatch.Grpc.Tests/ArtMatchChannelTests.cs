using System.Net;
using ArtMatch.Grpc.Api.V1;
using Grpc.Core;

namespace ArtMatch.Grpc.Tests;

/// <summary>How C# callers reach a server: addresses, and the API key on every call.</summary>
public sealed class ArtMatchChannelTests
{
    [Theory]
    [InlineData("localhost:50051", "http://localhost:50051/")]
    [InlineData("10.0.0.7:443", "http://10.0.0.7:443/")]
    [InlineData("https://artmatch.example:8443", "https://artmatch.example:8443/")]
    public void ParseAddress_HostPortIsCleartext_SchemeKept(string address, string expected)
    {
        Assert.Equal(new Uri(expected), ArtMatchChannel.ParseAddress(address));
    }

    [Fact]
    public async Task CreateArtMatchClient_WithKey_SendsBearerHeaderAndHonoursLimits()
    {
        var recorder = new Recorder();
        using var channel = ArtMatchChannel.ForAddress("localhost:1", recorder);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CreateArtMatchClient("key-0123456789abcdef").MatchAsync(new MatchRequest()).ResponseAsync);

        Assert.Equal("Bearer key-0123456789abcdef", recorder.Authorization);
        Assert.Equal("/artmatch.v1.ArtMatch/Match", recorder.Path);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode); // the recorder answers 503
    }

    [Fact]
    public async Task CreateArtMatchClient_WithoutKey_SendsNoAuthorization()
    {
        var recorder = new Recorder();
        using var channel = ArtMatchChannel.ForAddress("localhost:1", recorder);

        await Assert.ThrowsAsync<RpcException>(() => channel.CreateArtMatchClient().GetObjectAsync(new GetObjectRequest { ObjectId = "x" }).ResponseAsync);

        Assert.Null(recorder.Authorization);
    }

    /// <summary>Records the request a call makes and answers 503, as a proxy with no server behind it would.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public string? Authorization { get; private set; }

        public string? Path { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Authorization = request.Headers.TryGetValues("authorization", out var values) ? values.Single() : null;
            Path = request.RequestUri?.AbsolutePath;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Version = HttpVersion.Version20 });
        }
    }
}
