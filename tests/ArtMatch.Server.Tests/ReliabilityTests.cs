using System.Diagnostics;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using NetVips;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>
/// The server under abuse, end to end over real Kestrel: decompression bombs from one key are
/// refused beyond its share or stopped at their deadline, while a normal Match from another key
/// is still answered; a cancelled bomb stops costing CPU.
/// </summary>
public sealed class ReliabilityTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private const string Bombs = "bombs-key-0123456789";
    private const string Officer = "officer-key-0123456789";

    /// <summary>49 MP of deflate TIFF (under the 50 MP full-size limit): about 100 KB that costs seconds of CPU to decode.</summary>
    private static readonly Lazy<byte[]> Bomb = new(() =>
    {
        using var black = Image.Black(7000, 7000, bands: 3);
        return black.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate);
    });

    private async Task<InProcessServer> StartAsync()
    {
        var keysFile = Path.Combine(fixture.StoreDirectory, "reliability-keys.json");
        File.WriteAllText(keysFile, $$"""
            {"keys": [
              {"key": "{{Bombs}}", "name": "bombs", "role": "officer"},
              {"key": "{{Officer}}", "name": "officer", "role": "officer"}
            ]}
            """);
        // Fixed sizes, whatever the machine's cores: two workers, one per caller, three in flight per caller.
        var admission = new AdmissionSettings { MaxRunning = 2, MaxWaiting = 4, MaxPerCaller = 3, MaxRunningPerCaller = 1 };
        return await InProcessServer.StartAsync(fixture.Engine, new ServerSettings { ApiKeysFile = keysFile, Admission = admission }, kestrel: true);
    }

    [Fact]
    public async Task BombsFromOneKey_RefusedBeyondItsShareOrStoppedAtTheDeadline_AnotherKeysMatchAnswered()
    {
        await using var server = await StartAsync();
        var bomb = new Wire.MatchRequest { Photo = ByteString.CopyFrom(Bomb.Value), TopK = 1 };
        // Eight senders, each sending a bomb again as soon as one is answered, until the normal Match
        // is answered and each has sent three: one wave of eight was not enough on a fast machine,
        // which answered each bomb before the next arrived.
        using var normalAnswered = new CancellationTokenSource();
        var bombs = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var statuses = new List<StatusCode>();
            while (statuses.Count < 3 || !normalAnswered.IsCancellationRequested)
            {
                statuses.Add(await Status(server.Client(Bombs).MatchAsync(bomb, deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync));
                // A refusal comes back at once: without a pause the refused senders would spin and take
                // the cores of a small machine from the normal Match.
                if (statuses[^1] == StatusCode.ResourceExhausted)
                    await Task.Delay(20);
            }
            return statuses;
        })).ToList();
        // Give the bombs time to reach the server and take their places.
        await Task.Delay(500);

        var normal = await server.Client(Officer).MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(fixture.Photo(4)), TopK = 1 },
            deadline: DateTime.UtcNow.AddMinutes(10));
        await normalAnswered.CancelAsync();
        var statuses = (await Task.WhenAll(bombs)).SelectMany(s => s).ToList();

        Assert.Equal(fixture.Objects[4].Id, normal.Candidates[0].Object.ObjectId);
        Assert.Contains(StatusCode.ResourceExhausted, statuses);
        Assert.All(statuses, s => Assert.Contains(s, new[] { StatusCode.OK, StatusCode.ResourceExhausted, StatusCode.DeadlineExceeded }));
    }

    [Fact]
    public async Task BombPastItsDeadline_StopsCostingCpu()
    {
        await using var server = await StartAsync();
        var bomb = new Wire.MatchRequest { Photo = ByteString.CopyFrom(Bomb.Value), TopK = 1 };

        // The deadline comes from this machine's own cost of the bomb: a fixed one was met by a fast
        // CI machine, which decoded and answered the bomb inside it. A fifth of one bomb answered in
        // full was met too (one core, loaded): the first answer also paid for the new server's first
        // call and the matcher's cold catalogue pictures, or the load dropped meanwhile. A bomb answered
        // inside its deadline proves nothing, so it is sent again with a fifth of what it took.
        var clock = Stopwatch.StartNew();
        await Status(server.Client(Bombs).MatchAsync(bomb, deadline: DateTime.UtcNow.AddMinutes(10)).ResponseAsync);
        var deadline = Fifth(clock.Elapsed);
        RpcException? error = null;
        for (int attempt = 0; attempt < 4 && error is null; attempt++)
        {
            clock.Restart();
            try
            {
                await server.Client(Bombs).MatchAsync(bomb, deadline: DateTime.UtcNow.Add(deadline));
                deadline = Fifth(clock.Elapsed);
            }
            catch (RpcException e)
            {
                error = e;
            }
        }
        // The decode stops at its next strip; by then the worker is idle and the slot free: another
        // call from the same key (one running at a time) is admitted and answered.
        var next = await server.Client(Bombs).MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(fixture.Photo(5)), TopK = 1 },
            deadline: DateTime.UtcNow.AddMinutes(10));

        Assert.True(error is not null, "every bomb was answered inside its deadline, each a fifth of what the one before took");
        Assert.Equal(StatusCode.DeadlineExceeded, error!.StatusCode);
        Assert.Equal(fixture.Objects[5].Id, next.Candidates[0].Object.ObjectId);
    }

    private static TimeSpan Fifth(TimeSpan taken) => TimeSpan.FromTicks(Math.Max(taken.Ticks / 5, TimeSpan.FromMilliseconds(20).Ticks));

    private static async Task<StatusCode> Status(Task call)
    {
        try
        {
            await call;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
