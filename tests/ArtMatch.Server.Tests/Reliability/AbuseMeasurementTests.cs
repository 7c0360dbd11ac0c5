using System.Diagnostics;
using Google.Protobuf;
using ArtMatch.Server.Hosting;
using Grpc.Core;
using Xunit.Abstractions;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests.Reliability;

/// <summary>
/// The issue's two measured must-shows, against the real `artmatch serve`: the server's CPU after a
/// cancelled bomb, and a normal Match's latency while one key floods the server with bombs. The
/// figures are printed (test output; benchmarks/RESULTS.md records them with the machine's load).
/// The machine is shared and its load moves, so the targets (idle within 1 s, 3x idle latency) are
/// not asserted; what is asserted is generous and tells the broken behaviour from the working one by
/// an order of magnitude: a decode that went on after its deadline would burn about a full core
/// through the window (2 CPU s), and a normal Match queued behind the bombs would wait for their
/// decodes (tens of times its idle latency).
/// </summary>
[Collection(ReliabilitySuite.Name)]
public sealed class AbuseMeasurementTests(ReliabilityServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task CancelledBombs_ServerCpuBackToIdle()
    {
        var bombs = server.Client(HostileCorpus.Bombs);
        output.WriteLine($"before: {await WaitForIdleAsync()}");
        double idle = await CpuOverAsync(TimeSpan.FromSeconds(2));
        // The 49 MP bomb's deadline is a fifth of this machine's own cost of it, answered in full first:
        // a fixed 1 s was met by a fast machine, which answered the bomb inside it and so measured no
        // cancelled decode at all.
        var clock = Stopwatch.StartNew();
        var full = await StatusOf(bombs.MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(HostileFiles.Tiff49Mp.Value), TopK = 1 },
            deadline: DateTime.UtcNow.AddMinutes(10)).ResponseAsync);
        var fifth = clock.Elapsed / 5;
        output.WriteLine($"49 MP deflate TIFF with time to finish: {full} after {clock.Elapsed.TotalMilliseconds:0} ms; {await WaitForIdleAsync()}");

        foreach (var (name, bomb, deadline) in new[]
        {
            ("144 MP deflate TIFF, 2 s deadline", HostileFiles.Tiff144Mp.Value, TimeSpan.FromSeconds(2)),
            ($"49 MP deflate TIFF (admitted, decoded), {fifth.TotalMilliseconds:0} ms deadline", HostileFiles.Tiff49Mp.Value, fifth),
        })
        {
            double before = server.CpuSeconds();
            var status = await StatusOf(bombs.MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(bomb), TopK = 1 }, deadline: DateTime.UtcNow + deadline).ResponseAsync);
            double answered = server.CpuSeconds();
            // Sampled every 100 ms from the answer: when did the server stop working on it?
            var samples = new List<double> { answered };
            for (int i = 0; i < 30; i++)
            {
                await Task.Delay(100);
                samples.Add(server.CpuSeconds());
            }
            double firstSecond = samples[10] - samples[0], nextTwo = samples[30] - samples[10];
            int busyUntil = Enumerable.Range(1, 30).LastOrDefault(i => samples[i] - samples[i - 1] > 0.02) * 100;
            output.WriteLine($"{name}: {status}; server CPU {answered - before:0.00} s until the answer, {firstSecond:0.00} s in the first second after it, " +
                $"{nextTwo:0.00} s in the two after that (idle: {idle:0.00} s per 2 s); last 100 ms with >20 ms CPU ended {busyUntil} ms after the answer");

            Assert.Contains(status, new[] { StatusCode.ResourceExhausted, StatusCode.DeadlineExceeded, StatusCode.OK });
            Assert.True(nextTwo < 1.0, $"{name}: the server used {nextTwo:0.00} CPU s from 1 s to 3 s after the answer (a decode still running uses about 2)");
        }
        await server.AssertHealthyAsync();
    }

    [Fact]
    public async Task SixteenBombSendersFromOneKey_NormalMatchFromAnotherKeyStillAnswered()
    {
        var officer = server.Client(HostileCorpus.Officer);
        var request = new Wire.MatchRequest { Photo = ByteString.CopyFrom(server.Photo(3)), TopK = 1 };
        await officer.MatchAsync(request);
        output.WriteLine($"before: {await WaitForIdleAsync()}");
        var idle = await LatenciesAsync(officer, request, 5);

        using var stop = new CancellationTokenSource();
        var counts = new Dictionary<StatusCode, int>();
        var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(() => FloodAsync(counts, stop.Token))).ToList();
        await Task.Delay(1000);
        var loaded = await LatenciesAsync(officer, request, 5);
        double cpuDuring = server.CpuSeconds();
        await stop.CancelAsync();
        await Task.WhenAll(senders);
        output.WriteLine($"after the senders stopped: {await WaitForIdleAsync()}");

        double ratio = Median(loaded) / Median(idle);
        output.WriteLine($"normal Match idle: median {Median(idle):0} ms ({string.Join(", ", idle.Select(l => $"{l:0}"))}); " +
            $"with {Senders} bomb senders (49 MP TIFF, one key): median {Median(loaded):0} ms ({string.Join(", ", loaded.Select(l => $"{l:0}"))}); ratio {ratio:0.00}");
        lock (counts)
            output.WriteLine("bomb answers: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine($"server RSS after: {server.ResidentMb():0} MB; CPU so far {cpuDuring:0.0} s");

        // The latency ratio is printed, not asserted: timing thresholds fail on a loaded CI machine (the brief
        // forbids them in tests); benchmarks/soak.sh and RESULTS.md carry the measured figure. What must hold
        // is that every normal Match from the other key was answered: LatenciesAsync's calls throw
        // RpcException on any refusal or deadline, which fails this test above.
        lock (counts)
            Assert.True(counts.GetValueOrDefault(StatusCode.ResourceExhausted) > 0, "the bombs key was never refused: its share is not enforced");
        await server.AssertHealthyAsync();
    }

    /// <summary>
    /// The issue's 16 senders, or more where the server's default share per caller (from the machine's
    /// cores, 3/2 per core) would hold 16 at once: then none would be refused on a machine of 11 cores
    /// or more, and the assertion on the refusals would fail there. The server is this machine's too.
    /// </summary>
    private static int Senders => Math.Max(16, new AdmissionSettings().MaxPerCaller + 4);

    /// <summary>One bomb sender: sends a 49 MP TIFF, and again as soon as it is answered (refused or not), until stopped.</summary>
    private async Task FloodAsync(Dictionary<StatusCode, int> counts, CancellationToken stop)
    {
        var bombs = server.Client(HostileCorpus.Bombs);
        var bomb = new Wire.MatchRequest { Photo = ByteString.CopyFrom(HostileFiles.Tiff49Mp.Value), TopK = 1 };
        while (!stop.IsCancellationRequested)
        {
            var status = await StatusOf(bombs.MatchAsync(bomb, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: stop).ResponseAsync);
            lock (counts)
                counts[status] = counts.GetValueOrDefault(status) + 1;
            if (status == StatusCode.ResourceExhausted)
                await Task.Delay(20, CancellationToken.None);
        }
    }

    private static async Task<List<double>> LatenciesAsync(Wire.ArtMatch.ArtMatchClient client, Wire.MatchRequest request, int count)
    {
        var latencies = new List<double>();
        for (int i = 0; i < count; i++)
        {
            var watch = Stopwatch.StartNew();
            await client.MatchAsync(request, deadline: DateTime.UtcNow.AddMinutes(10));
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }

    /// <summary>
    /// Waits (at most 30 s) for a 500 ms window in which the server uses under 25 ms of CPU, so a
    /// figure is not another test's leftover work; says how long that took.
    /// </summary>
    private async Task<string> WaitForIdleAsync()
    {
        var watch = Stopwatch.StartNew();
        double last = server.CpuSeconds();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(500);
            double now = server.CpuSeconds();
            if (now - last < 0.025)
                return $"server idle (under 25 ms CPU per 500 ms) after {watch.Elapsed.TotalSeconds:0.0} s";
            last = now;
        }
        return "server NOT idle within 30 s";
    }

    private async Task<double> CpuOverAsync(TimeSpan span)
    {
        double before = server.CpuSeconds();
        await Task.Delay(span);
        return server.CpuSeconds() - before;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<StatusCode> StatusOf(Task call)
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
