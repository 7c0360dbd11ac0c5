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
    public async Task LoneCaller_UsesEveryIdleWorker_ThenWaits()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 2, MaxWaiting = 4, MaxPerCaller = 4, MaxRunningPerCaller = 1 });

        var first = admission.EnterAsync("key:batch", 10, CancellationToken.None);
        var second = admission.EnterAsync("key:batch", 10, CancellationToken.None);
        var third = admission.EnterAsync("key:batch", 10, CancellationToken.None);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully, "a caller alone is lent the idle worker beyond its share");
        Assert.False(third.IsCompleted);
        (await first).Dispose();
        (await third).Dispose();
        (await second).Dispose();
        Assert.Equal(0, admission.InFlight);
    }

    [Fact]
    public async Task CallerUnderItsShare_StartsAtOnceWhileAnotherHoldsEveryWorker_TheLentWorkerIsTakenBackAndResumesFirst()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 2, MaxWaiting = 4, MaxPerCaller = 4, MaxRunningPerCaller = 1 });
        using var bomb1 = await admission.EnterAsync("key:bombs", 10, CancellationToken.None);
        using var bomb2 = await admission.EnterAsync("key:bombs", 10, CancellationToken.None);   // lent

        var normal = admission.EnterAsync("key:officer", 10, CancellationToken.None);
        var bomb3 = admission.EnterAsync("key:bombs", 10, CancellationToken.None);

        Assert.True(normal.IsCompletedSuccessfully, "the officer waited for a bomb's decode");
        Assert.True(bomb2.Reclaimed.IsCancellationRequested, "the lent worker was not taken back");
        Assert.False(bomb1.Reclaimed.IsCancellationRequested);
        var resumed = bomb2.WaitForWorkerAgainAsync(CancellationToken.None);
        Assert.Equal(2, admission.Running);
        Assert.False(resumed.IsCompleted);
        (await normal).Dispose();
        await Guard(resumed);                 // first in the queue again, before bomb3
        Assert.False(bomb3.IsCompleted);
        Assert.False(bomb2.Reclaimed.IsCancellationRequested);
        bomb1.Dispose();
        (await Guard(bomb3)).Dispose();
    }

    [Fact]
    public async Task FreedWorker_GoesFirstToACallerUnderItsShare_ThenToTheLongestWaiting()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 2, MaxWaiting = 4, MaxPerCaller = 4, MaxRunningPerCaller = 1 });
        using var a1 = await admission.EnterAsync("a", 10, CancellationToken.None);
        using var a2 = await admission.EnterAsync("a", 10, CancellationToken.None);   // lent
        using var b1 = await admission.EnterAsync("b", 10, CancellationToken.None);   // under its share: runs, a2 is taken back
        var a3 = admission.EnterAsync("a", 10, CancellationToken.None);               // over its share, no idle worker: waits
        var c1 = admission.EnterAsync("c", 10, CancellationToken.None);               // a1 and b1 hold both workers within their shares: waits
        var a2Again = a2.WaitForWorkerAgainAsync(CancellationToken.None);

        b1.Dispose();
        (await Guard(c1)).Dispose();          // c arrived after a2 and a3 but is under its share

        Assert.False(a3.IsCompleted);
        a1.Dispose();
        await Guard(a2Again);
        a2.Dispose();
        (await Guard(a3)).Dispose();
        Assert.Equal(0, admission.InFlight);
    }

    [Fact]
    public async Task TakenBackSlotCancelledWhileWaiting_LeavesTheQueue()
    {
        var admission = new AdmissionControl(new AdmissionSettings { MaxRunning = 2, MaxWaiting = 4, MaxPerCaller = 4, MaxRunningPerCaller = 1 });
        using var a1 = await admission.EnterAsync("a", 10, CancellationToken.None);
        var a2 = await admission.EnterAsync("a", 10, CancellationToken.None);        // lent
        using var b1 = await admission.EnterAsync("b", 10, CancellationToken.None);  // takes it back
        using var cancel = new CancellationTokenSource();

        var again = a2.WaitForWorkerAgainAsync(cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Guard(again));
        a2.Dispose();
        Assert.Equal(2, admission.InFlight);
        Assert.Equal(2, admission.Running);
    }

    private static Task<T> Guard<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromMinutes(2));

    private static Task Guard(Task task) => task.WaitAsync(TimeSpan.FromMinutes(2));
}
