using System.Diagnostics;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Core.Matching;

/// <summary>The time one stage of a match took (summed when the stage ran more than once).</summary>
public readonly record struct StageTime(string Stage, TimeSpan Elapsed);

/// <summary>
/// Where one match spent its time, stage by stage, as the <see cref="Matcher"/> measured it; the
/// server turns each stage into a latency histogram. Only the stages that ran are listed (a cascade
/// skips some). Decode is zero when the caller decoded the photo itself.
/// </summary>
public sealed record MatchTimings
{
    public static readonly MatchTimings None = new();

    public TimeSpan Decode { get; init; }

    /// <summary>The stages that ran, in the order they first ran (names as <see cref="Stages.IMatchStage.Name"/>).</summary>
    public IReadOnlyList<StageTime> StageTimes { get; init; } = [];

    /// <summary>What computing the escalation's inputs ahead of need did for this match (<see cref="Speculation"/>).</summary>
    public SpeculationReport Speculation { get; init; } = SpeculationReport.None;

    /// <summary>The time of one stage by its name; zero when it did not run.</summary>
    public TimeSpan Of(string stage)
    {
        foreach (var time in StageTimes)
        {
            if (time.Stage == stage)
                return time.Elapsed;
        }
        return TimeSpan.Zero;
    }

    /// <summary>Decode (when this match decoded), then every stage that ran, by its name (lower case, as metrics label it).</summary>
    public IEnumerable<(string Stage, TimeSpan Elapsed)> Stages()
    {
        if (Decode > TimeSpan.Zero)
            yield return ("decode", Decode);
        foreach (var time in StageTimes)
            yield return (time.Stage, time.Elapsed);
    }
}

/// <summary>Stage times of one match as they come in: a stage run twice adds up.</summary>
internal sealed class StageClock
{
    private readonly List<StageTime> _times = new(10);

    public void Add(string stage, TimeSpan elapsed)
    {
        for (int i = 0; i < _times.Count; i++)
        {
            if (_times[i].Stage == stage)
            {
                _times[i] = _times[i] with { Elapsed = _times[i].Elapsed + elapsed };
                return;
            }
        }
        _times.Add(new StageTime(stage, elapsed));
    }

    /// <summary>Runs the action and adds its time to the stage.</summary>
    public void Time(string stage, Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        Add(stage, Stopwatch.GetElapsedTime(start));
    }

    public IReadOnlyList<StageTime> ToList() => _times.ToArray();
}
