using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

public class OtherProcessesLoadTests
{
    private const string Stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1 2 3\n";

    [Fact]
    public void ParseCpuLine_ProcStat_CountsIdleAndIowaitAsNotBusy()
    {
        Assert.Equal((150L, 1000L), OtherProcessesLoad.ParseCpuLine(Stat));
        Assert.Null(OtherProcessesLoad.ParseCpuLine("intr 1 2 3\n"));
        Assert.Null(OtherProcessesLoad.ParseCpuLine("cpu  1 x 3 4\n"));
        Assert.Null(OtherProcessesLoad.ParseCpuLine(null));
    }

    [Fact]
    public void Cores_MachineBusierThanThisProcess_ReportsTheDifference()
    {
        // Second reading: of 1000 more jiffies on all cores, 1000 busy (every core); this process used none.
        var readings = new Queue<string>(["cpu  100 0 50 800 50 0 0 0\n", "cpu  1100 0 50 800 50 0 0 0\n"]);
        var clock = new ManualClock();
        var load = new OtherProcessesLoad(() => readings.Dequeue(), () => TimeSpan.Zero, clock);

        Assert.Equal(0, load.Cores());
        clock.Advance(OtherProcessesLoad.Interval);
        Assert.Equal(Environment.ProcessorCount, load.Cores(), 3);
        // Within the interval the last figure is kept (no third reading: the queue is empty).
        clock.Advance(OtherProcessesLoad.Interval / 2);
        Assert.Equal(Environment.ProcessorCount, load.Cores(), 3);
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public void Advance(TimeSpan span) => _ticks += span.Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;
    }

    [Fact]
    public void Cores_NoProcStat_ReportsNone()
    {
        Assert.Equal(0, new OtherProcessesLoad(() => null, () => TimeSpan.Zero).Cores());
    }

    [Fact]
    public void Gate_OtherProgramsKeepACoreBusy_RefusesSpeculationBesideOneMatch()
    {
        double others = 1.0;
        var gate = new SpeculationGate(2, () => others);
        using var match = gate.EnterMatch();

        Assert.Null(gate.TryEnterSpeculation());
        others = 0.3; // background noise rounds to no core
        using var speculation = gate.TryEnterSpeculation();
        Assert.NotNull(speculation);
    }
}
