using System.Diagnostics;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>
/// A stage whose costly input depends on the photo and the request only (not on the candidates found
/// so far), so that it can be computed ahead of need on an idle core (<see cref="Speculation"/>).
/// </summary>
public interface ISpeculativeStage : IMatchStage
{
    /// <summary>
    /// The stage's photo-only work (the photo's part and its search), what <see cref="IMatchStage.Run"/>
    /// takes through <see cref="MatchContext.Prepared{T}"/>. Checks <paramref name="stop"/> between its
    /// sub-steps and throws <see cref="OperationCanceledException"/> when asked to stop.
    /// </summary>
    object Prepare(MatchContext context, CancellationToken stop);
}

/// <summary>What speculation did for one match: whether it ran, the parts a stage took from it and the parts no stage needed.</summary>
public sealed record SpeculationReport(bool Started, int Used, int Wasted, TimeSpan Work)
{
    public static readonly SpeculationReport None = new(false, 0, 0, TimeSpan.Zero);
}

/// <summary>
/// One match's speculation: a background task that computes the photo-only inputs of the stages the
/// photo may escalate to (in the order <see cref="Matcher.SpeculationOrder"/> gives), while the match
/// thread runs the cheap pass and the stages before them. A stage takes a part when it is ready, waits for it while it is computed, and computes it
/// itself when speculation did not start it or gave it up (each part is an <see cref="OnceComputed{T}"/>:
/// computed once, by whichever thread comes first). The answer is the same either way: the parts are
/// the same computations on the same inputs. It starts only when the <see cref="SpeculationGate"/>
/// has an idle core, stops when the match ends (<see cref="Stop"/>) or a match arrives with every core
/// taken (the gate stops it; a model run in progress is ended),
/// and never lets an exception escape its task (a part's failure is kept for the stage that reads it).
/// </summary>
public sealed class Speculation
{
    private readonly MatchContext _context;
    private readonly IReadOnlyList<ISpeculativeStage> _plan;
    private readonly Dictionary<string, OnceComputed<object>> _parts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _claimed = new(StringComparer.Ordinal);
    private readonly SpeculationGate _gate;
    private readonly CancellationTokenSource _stop = new();
    private Task? _worker;
    private SpeculationGate.Scope? _core;
    private long _began, _ended;

    /// <param name="plan">The speculative stages in the order to compute their parts.</param>
    public Speculation(MatchContext context, IReadOnlyList<ISpeculativeStage> plan, SpeculationGate gate)
    {
        _context = context;
        _plan = plan;
        _gate = gate;
        foreach (var stage in plan)
            _parts[stage.Name] = new OnceComputed<object>();
    }

    /// <summary>True once the background task has been started.</summary>
    public bool Started => Volatile.Read(ref _worker) is not null;

    /// <summary>The background task, for tests that wait for it; null when not started.</summary>
    internal Task? Worker => Volatile.Read(ref _worker);

    /// <summary>Starts the background task when the gate has an idle core and it did not start yet; true when it runs (or ran).</summary>
    /// <remarks>Called by the match thread only, at the start of the cascade.</remarks>
    public bool TryStart()
    {
        if (Started)
            return true;
        if (_stop.IsCancellationRequested || _plan.Count == 0 || _gate.TryEnterSpeculation(Stop) is not { } core)
            return false;
        _began = Stopwatch.GetTimestamp();
        Volatile.Write(ref _core, core);
        Volatile.Write(ref _worker, Task.Run(() => Run(core)));
        return true;
    }

    /// <summary>
    /// Asks the background task to stop at its next check (ending a model run in progress) and gives its
    /// core back to the gate at once: what is left of its work is ending. Does not wait. Safe from any thread.
    /// </summary>
    public void Stop()
    {
        _stop.Cancel();
        Volatile.Read(ref _core)?.Dispose();
    }

    /// <summary>The part of <paramref name="stage"/>: speculated, waited for, or computed here by <paramref name="compute"/>.</summary>
    public T Take<T>(string stage, Func<T> compute) where T : class =>
        _parts.TryGetValue(stage, out var part) ? (T)part.Get(compute) : compute();

    /// <summary>Parts a stage took from speculation, parts speculation began that no stage read, and the task's time so far.</summary>
    public SpeculationReport Report()
    {
        if (!Started)
            return SpeculationReport.None;
        int used = 0, wasted = 0;
        lock (_claimed)
        {
            foreach (var stage in _claimed)
            {
                var part = _parts[stage];
                if (part.ComputedBy == ComputedBy.Speculation && part.Read)
                    used++;
                else if (!part.Read)
                    wasted++;
            }
        }
        long end = Volatile.Read(ref _ended);
        return new SpeculationReport(true, used, wasted, Stopwatch.GetElapsedTime(_began, end == 0 ? Stopwatch.GetTimestamp() : end));
    }

    private void Run(SpeculationGate.Scope core)
    {
        var stop = _stop.Token;
        try
        {
            foreach (var stage in _plan)
            {
                // Gives way when the match ended or more work arrived than there are cores.
                if (stop.IsCancellationRequested || _context.Cancellation.IsCancellationRequested || _gate.Oversubscribed)
                    break;
                _parts[stage.Name].TrySpeculate(() =>
                {
                    lock (_claimed)
                        _claimed.Add(stage.Name);
                    return stage.Prepare(_context, stop);
                });
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped between sub-steps: the part stays uncomputed for a stage to compute.
        }
        finally
        {
            Volatile.Write(ref _ended, Stopwatch.GetTimestamp());
            core.Dispose();
        }
    }
}
