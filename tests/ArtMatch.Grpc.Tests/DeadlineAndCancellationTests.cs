using ArtMatch.Grpc.Tests.Echo;
using ArtMatch.Grpc.Tests.Support;

namespace ArtMatch.Grpc.Tests;

public sealed class DeadlineAndCancellationTests
{
    // Only a guard against a hung test; no assertion depends on how long anything takes.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static byte[] SleepRequest => TestGrpcHost.Frame(EchoService.Bytes(new EchoRequest { Text = "zzz" }));

    [Fact]
    public async Task Sleep_ClockPassesTimeout_DeadlineExceededAndHandlerCancelled()
    {
        var clock = new ManualClock();
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { TimeProvider = clock });

        var call = host.CallAsync("/test.echo.v1.Echo/Sleep", SleepRequest, ("grpc-timeout", "1500m"));
        await host.Echo.SleepStarted.Task.WaitAsync(Hang);
        clock.Advance(TimeSpan.FromMilliseconds(1499));
        bool cancelledEarly = host.Echo.SleepCancelled.Task.IsCompleted;
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var response = await call.WaitAsync(Hang);
        var deadlineSeen = await host.Echo.SleepCancelled.Task.WaitAsync(Hang);

        Assert.False(cancelledEarly);
        Assert.Equal(StatusCode.DeadlineExceeded, response.Status);
        Assert.Equal("Deadline exceeded after 1.5 s.", response.Message);
        Assert.True(response.IsTrailersOnly);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 1, 500, DateTimeKind.Utc), deadlineSeen);
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public async Task Sleep_RealClockShortTimeout_DeadlineExceeded()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Sleep", SleepRequest, ("grpc-timeout", "50000u"));
        await host.Echo.SleepCancelled.Task.WaitAsync(Hang);

        Assert.Equal(StatusCode.DeadlineExceeded, response.Status);
    }

    [Fact]
    public async Task Say_TimeoutNotReached_OkAndTimerReleased()
    {
        var clock = new ManualClock();
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { TimeProvider = clock });

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame([0x0A, 0x01, 0x61]), ("grpc-timeout", "1H"));

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public async Task Sleep_TimeoutBeyondTimerRange_RearmsUntilClockPassesDeadline()
    {
        var clock = new ManualClock();
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { TimeProvider = clock });

        // 1200 hours (50 days) is longer than one system timer can wait (about 49.7 days).
        var call = host.CallAsync("/test.echo.v1.Echo/Sleep", SleepRequest, ("grpc-timeout", "1200H"));
        await host.Echo.SleepStarted.Task.WaitAsync(Hang);
        clock.Advance(TimeSpan.FromDays(49.8));
        bool cancelledAtFirstTimer = host.Echo.SleepCancelled.Task.IsCompleted;
        clock.Advance(TimeSpan.FromDays(0.2));
        var response = await call.WaitAsync(Hang);

        Assert.False(cancelledAtFirstTimer);
        Assert.Equal(StatusCode.DeadlineExceeded, response.Status);
    }

    [Fact]
    public async Task Sleep_TimeoutPastYear9999_DeadlineIsMaxValue()
    {
        var clock = new ManualClock();
        await using var host = await TestGrpcHost.StartAsync(new GrpcServerOptions { TimeProvider = clock });
        using var clientCancel = new CancellationTokenSource();

        // 99999999 hours (about 11,400 years) cannot be added to today's date.
        var call = host.SendAsync(TestGrpcHost.Request("/test.echo.v1.Echo/Sleep", SleepRequest, ("grpc-timeout", "99999999H")), clientCancel.Token);
        await host.Echo.SleepStarted.Task.WaitAsync(Hang);
        await clientCancel.CancelAsync();

        Assert.Equal(DateTime.MaxValue, await host.Echo.SleepCancelled.Task.WaitAsync(Hang));
        Assert.NotNull(await Record.ExceptionAsync(() => call));
    }

    [Fact]
    public async Task Say_MalformedTimeout_InternalNamingTheValue()
    {
        await using var host = await TestGrpcHost.StartAsync();

        var response = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame([]), ("grpc-timeout", "10x"));

        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Equal("Malformed grpc-timeout '10x'.", response.Message);
    }

    [Fact]
    public async Task Sleep_ClientCancels_HandlerTokenCancelled()
    {
        await using var host = await TestGrpcHost.StartAsync();
        using var clientCancel = new CancellationTokenSource();

        var call = host.SendAsync(TestGrpcHost.Request("/test.echo.v1.Echo/Sleep", SleepRequest), clientCancel.Token);
        await host.Echo.SleepStarted.Task.WaitAsync(Hang);
        await clientCancel.CancelAsync();
        var deadlineSeen = await host.Echo.SleepCancelled.Task.WaitAsync(Hang);

        Assert.Equal(DateTime.MaxValue, deadlineSeen); // no grpc-timeout: cancelled by the client alone
        Assert.NotNull(await Record.ExceptionAsync(() => call));
    }

    [Fact]
    public async Task Sleep_AfterClientCancelled_ServerKeepsServing()
    {
        await using var host = await TestGrpcHost.StartAsync();
        using var clientCancel = new CancellationTokenSource();
        var call = host.SendAsync(TestGrpcHost.Request("/test.echo.v1.Echo/Sleep", SleepRequest), clientCancel.Token);
        await host.Echo.SleepStarted.Task.WaitAsync(Hang);
        await clientCancel.CancelAsync();
        await host.Echo.SleepCancelled.Task.WaitAsync(Hang);
        Assert.NotNull(await Record.ExceptionAsync(() => call));

        var next = await host.CallAsync("/test.echo.v1.Echo/Say", TestGrpcHost.Frame([0x0A, 0x01, 0x62]));

        Assert.Equal(StatusCode.OK, next.Status);
    }
}
