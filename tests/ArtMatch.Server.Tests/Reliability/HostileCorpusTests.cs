using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests.Reliability;

/// <summary>
/// The hostile corpus against the real `artmatch serve` on loopback: every case answered with its
/// status and a message that says what to change, the server still running and healthy after each,
/// and after all of them sent at once a normal Match still answered right.
/// </summary>
[Collection(ReliabilitySuite.Name)]
public sealed class HostileCorpusTests(ReliabilityServer server)
{
    // A guard against a hang, not a measurement: every case is answered in well under a second on a quiet machine.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(5);

    private static readonly Lazy<IReadOnlyList<HostileCase>> Corpus = new(() =>
        HostileCorpus.All(File.ReadAllBytes(Support.EngineFixture.DevObjects(1)[0].Image)).ToList());

    public static TheoryData<string> Cases()
    {
        var names = new TheoryData<string>();
        foreach (var call in Corpus.Value)
            names.Add(call.Name);
        return names;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileCase_AnsweredWithItsStatusAndAnActionableMessage_ServerStillHealthy(string name)
    {
        var call = Corpus.Value.Single(c => c.Name == name);

        var status = await server.CallAsync(call, Guard);

        Assert.True(call.Expected == status.StatusCode, $"{name}: expected {call.Expected}, got {status.StatusCode} '{status.Detail}'");
        Assert.Contains(call.Message, status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.True(status.Detail.Length <= 1100, $"{name}: a {status.Detail.Length}-character message");
        await server.AssertHealthyAsync();
    }

    [Fact]
    public async Task WholeCorpusAtOnce_EachAnsweredWithItsStatusOrRefusedAsBusy_ThenANormalMatchAnswered()
    {
        var statuses = await Task.WhenAll(Corpus.Value.Select(async call => (call, status: await server.CallAsync(call, Guard))));

        await server.AssertHealthyAsync();
        var normal = await server.Client(HostileCorpus.Officer).MatchAsync(
            new Wire.MatchRequest { Photo = Google.Protobuf.ByteString.CopyFrom(server.Photo(7)), TopK = 1 }, deadline: DateTime.UtcNow + Guard);
        Assert.Equal(server.Objects[7].Id, normal.Candidates[0].Object.ObjectId);
        // Photo work beyond the bombs key's share is refused as busy (RESOURCE_EXHAUSTED, "Retry"); every other answer is the case's own.
        Assert.All(statuses, s => Assert.True(s.status.StatusCode == s.call.Expected
            || (s.status.StatusCode == StatusCode.ResourceExhausted && s.status.Detail.Contains("Retry", StringComparison.Ordinal)),
            $"{s.call.Name}: expected {s.call.Expected}, got {s.status.StatusCode} '{s.status.Detail}'"));
    }
}
