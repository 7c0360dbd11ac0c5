using System.Diagnostics;
using System.Globalization;

namespace ArtMatch.Core.Matching;

/// <summary>
/// How many cores other processes kept busy lately: the machine's busy time (Linux <c>/proc/stat</c>)
/// minus this process's own, over the last interval of at least <see cref="Interval"/>. The
/// <see cref="SpeculationGate"/> counts it as work in flight, so that speculation does not take a
/// core another program is using (on a shared machine it would only slow both down). Where the
/// machine's figures cannot be read it reports 0: only this process's own work is counted then.
/// Thread-safe; a reading is cheap and taken at most once per interval.
/// </summary>
public sealed class OtherProcessesLoad
{
    /// <summary>The shortest span one reading covers: shorter ones are dominated by the kernel's tick.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly Func<string?> _readStat;
    private readonly Func<TimeSpan> _ownCpu;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private (long Busy, long Total, TimeSpan Own, long At)? _last;
    private double _cores;

    /// <param name="readStat">The text of <c>/proc/stat</c>; null when it cannot be read.</param>
    /// <param name="ownCpu">This process's processor time so far.</param>
    /// <param name="time">The clock that spaces the readings (the system's when null).</param>
    public OtherProcessesLoad(Func<string?> readStat, Func<TimeSpan> ownCpu, TimeProvider? time = null)
    {
        _readStat = readStat;
        _ownCpu = ownCpu;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Reads this machine: <c>/proc/stat</c> and this process's processor time.</summary>
    public static OtherProcessesLoad OfThisMachine() => new(ReadProcStat, OwnProcessorTime);

    /// <summary>Cores other processes kept busy over the last interval (0 before two readings, or without <c>/proc/stat</c>).</summary>
    public double Cores()
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_last is { } last && _time.GetElapsedTime(last.At, now) < Interval)
                return _cores;
            if (ParseCpuLine(_readStat()) is not { } machine)
                return _cores = 0;
            var own = _ownCpu();
            if (_last is { } previous && machine.Total > previous.Total)
            {
                // Jiffies: busy share of all cores' time, times the cores, less this process's own share.
                double elapsed = _time.GetElapsedTime(previous.At, now).TotalSeconds;
                double busyCores = (machine.Busy - previous.Busy) / (double)(machine.Total - previous.Total) * Environment.ProcessorCount;
                double ownCores = elapsed > 0 ? (own - previous.Own).TotalSeconds / elapsed : 0;
                _cores = Math.Max(0, busyCores - ownCores);
            }
            _last = (machine.Busy, machine.Total, own, now);
            return _cores;
        }
    }

    /// <summary>Busy and total jiffies of the first <c>cpu</c> line of <c>/proc/stat</c> (idle and iowait are not busy); null when absent or malformed.</summary>
    internal static (long Busy, long Total)? ParseCpuLine(string? stat)
    {
        if (stat is null)
            return null;
        var line = stat.AsSpan();
        int end = line.IndexOf('\n');
        if (end >= 0)
            line = line[..end];
        if (!line.StartsWith("cpu "))
            return null;
        long busy = 0, total = 0;
        int field = 0;
        foreach (var part in line[4..].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                return null;
            // user nice system idle iowait irq softirq steal (guest time is already within user).
            if (field < 8)
            {
                total += value;
                if (field != 3 && field != 4)
                    busy += value;
            }
            field++;
        }
        return field >= 4 ? (busy, total) : null;
    }

    /// <summary>This process's processor time so far, all threads (the Process object read is disposed).</summary>
    internal static TimeSpan OwnProcessorTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static string? ReadProcStat()
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.ReadAllText("/proc/stat") : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
