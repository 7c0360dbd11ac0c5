using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ArtMatch.Grpc;
using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Net.Client;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests.Interop;

/// <summary>
/// The running `artmatch serve` from .NET: the generated client on Grpc.Net.Client (cleartext and
/// TLS), `artmatch match --server`, what HTTP/1.1 callers get, and the metrics port.
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class ServeTests(ServeFixture fixture)
{
    private Wire.MatchRequest Photo(int index) => new() { Photo = ByteString.CopyFrom(File.ReadAllBytes(fixture.Objects[index].Image)), TopK = 2 };

    [Fact]
    public async Task Metrics_AfterAMatch_RequestCounterStageHistogramsAndCatalogueSize()
    {
        using var channel = ArtMatchChannel.ForAddress(fixture.Address("h2c"));
        await channel.CreateArtMatchClient(ServeFixture.OfficerKey).MatchAsync(Photo(5));
        using var http = new HttpClient();

        string metrics = await http.GetStringAsync($"http://127.0.0.1:{fixture.MetricsPort}/metrics");
        var lines = metrics.Split('\n');

        Assert.Contains(lines, l => l.StartsWith("artmatch_rpc_requests_total{", StringComparison.Ordinal)
            && l.Contains("rpc_method=\"Match\"", StringComparison.Ordinal) && l.Contains("rpc_grpc_status_code=\"0\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("artmatch_rpc_duration_seconds_bucket{", StringComparison.Ordinal));
        foreach (var stage in new[] { "decode", "describe", "search", "verify", "colour", "judge" })
        {
            Assert.Contains(lines, l => l.StartsWith("artmatch_match_stage_duration_seconds_count{", StringComparison.Ordinal)
                && l.Contains($"stage=\"{stage}\"", StringComparison.Ordinal));
        }
        Assert.Contains(lines, l => l.StartsWith("artmatch_catalogue_objects", StringComparison.Ordinal) && l.EndsWith(" 25", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("artmatch_catalogue_vectors", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MetricsPort_AnythingButMetrics_NotFound_AndTheGrpcPortServesNoMetrics()
    {
        using var http = new HttpClient();

        var other = await http.GetAsync($"http://127.0.0.1:{fixture.MetricsPort}/artmatch.v1.ArtMatch/Match");
        var onGrpcPort = await Record.ExceptionAsync(() => http.GetStringAsync($"http://127.0.0.1:{fixture.Port}/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        // The gRPC port speaks HTTP/2 only: an HTTP/1.1 caller is refused when the connection opens.
        Assert.IsAssignableFrom<HttpRequestException>(onGrpcPort);
    }

    [Fact]
    public async Task GeneratedClient_OverTls_TrustingTheTestAuthority_Matches()
    {
        using var channel = ArtMatchChannel.ForAddress($"https://{fixture.Address("tls")}", fixture.Certificates.TrustingHandler());

        var response = await channel.CreateArtMatchClient(ServeFixture.OfficerKey).MatchAsync(Photo(9));

        Assert.Equal(fixture.Objects[9].Id, response.Candidates[0].Object.ObjectId);
    }

    [Fact]
    public async Task Http11CallerOnTls_Gets426UpgradeRequired()
    {
        using var http = new HttpClient(fixture.Certificates.TrustingHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{fixture.Address("tls")}/artmatch.v1.ArtMatch/Match")
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal("Request protocol 'HTTP/1.1' is not supported.", response.Headers.GetValues("grpc-message").Single());
    }

    [Fact]
    public async Task CliMatchServer_WithAnOfficerKey_PrintsTheVerdict()
    {
        var stdout = await InteropPeers.RunProcessAsync("dotnet",
            [ServeProcess.CliDll, "match", "--server", fixture.Address("h2c"), "--api-key", ServeFixture.OfficerKey, fixture.Objects[11].Image, "--json"],
            Path.GetTempPath());

        var answer = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("MATCH", answer.GetProperty("verdict").GetString());
        Assert.Equal(fixture.Objects[11].Id, answer.GetProperty("candidates")[0].GetProperty("object").GetProperty("objectId").GetString());
    }
}
