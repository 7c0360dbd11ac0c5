using ArtMatch.Server.Hosting;
using Grpc.Core;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>Admission control: bounded queue, per-caller share, bytes in flight; refusals are RESOURCE_EXHAUSTED.</summary>
public sealed class AdmissionControlTests
{
    [Fact]
    public async Task Full_QueueAndWorkers_RefusedThenAdmittedWhenAWorkerFrees()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 1, MaxWaiting = 1, MaxPerCaller = 10 });

        var running = await admission.EnterAsync("a", 10, CancellationToken.None);
        var waiting = admission.EnterAsync("b", 10, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<RpcException>(() => admission.EnterAsync("c", 10, CancellationToken.None));
        Assert.False(waiting.IsCompleted);
        running.Dispose();
        using var second = await waiting;

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("busy", refused.Status.Detail);
        Assert.Equal(1, admission.InFlight);
    }

    [Fact]
    public async Task OneCallerOverItsShare_Refused_AnotherCallerAdmitted()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 4, MaxWaiting = 4, MaxPerCaller = 2, MaxRunningPerCaller = 4 });

        using var first = await admission.EnterAsync("key:bombs", 10, CancellationToken.None);
        using var second = await admission.EnterAsync("key:bombs", 10, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<RpcException>(() => admission.EnterAsync("key:bombs", 10, CancellationToken.None));
        using var other = await admission.EnterAsync("key:officer", 10, CancellationToken.None);

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("its share (2)", refused.Status.Detail);
        Assert.Equal(3, admission.InFlight);
    }

    [Fact]
    public async Task BytesInFlightOverTheCeiling_Refused_ALonePhotoOverItAdmitted()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 4, MaxWaiting = 4, MaxRunningPerCaller = 4, MaxInFlightBytes = 100 << 20 });

        using (await admission.EnterAsync("a", 150 << 20, CancellationToken.None))
        {
            // Alone, one photo over the ceiling is admitted (the message limit bounds it); nothing else meanwhile.
            await Assert.ThrowsAsync<RpcException>(() => admission.EnterAsync("b", 1, CancellationToken.None));
        }
        using var held = await admission.EnterAsync("a", 80 << 20, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<RpcException>(() => admission.EnterAsync("b", 30 << 20, CancellationToken.None));

        Assert.Contains("ceiling is 100 MB", refused.Status.Detail);
    }

    [Fact]
    public async Task CancelledWhileWaiting_LeavesTheQueue()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 1, MaxWaiting = 1, MaxPerCaller = 10 });
        using var running = await admission.EnterAsync("a", 10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = admission.EnterAsync("b", 10, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, admission.InFlight);
        var queued = admission.EnterAsync("c", 10, CancellationToken.None);
        Assert.False(queued.IsFaulted);
    }

    [Fact]
    public async Task CallerAtItsRunningShare_Waits_AnotherCallerRunsAtOnce_ThenTheWaiterRuns()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 2, MaxWaiting = 4, MaxPerCaller = 4, MaxRunningPerCaller = 1 });

        var bomb = await admission.EnterAsync("key:bombs", 10, CancellationToken.None);
        var secondBomb = admission.EnterAsync("key:bombs", 10, CancellationToken.None);
        var normal = admission.EnterAsync("key:officer", 10, CancellationToken.None);

        Assert.True(normal.IsCompletedSuccessfully);
        Assert.False(secondBomb.IsCompleted);
        (await normal).Dispose();
        Assert.False(secondBomb.IsCompleted);
        bomb.Dispose();
        (await secondBomb).Dispose();
        Assert.Equal(0, admission.InFlight);
    }
}
