namespace ArtMatch.Core.Matching;

/// <summary>
/// Keeps speculative work on idle cores: counts the matches in flight and the speculations running
/// in the process, and lets a speculation start only while that count is below the cores. A match
/// that arrives when every core is taken stops a running speculation (the oldest) at once, so a
/// server under load (as many matches as cores) does no speculative work and wasted work never keeps
/// a core from a match. Work of other programs on the machine counts as well, when
/// <paramref name="otherLoad"/> tells it (<see cref="OtherProcessesLoad"/>). Thread-safe.
/// </summary>
/// <param name="otherLoad">Cores other processes keep busy (rounded to whole cores); null: none counted.</param>
public sealed class SpeculationGate(int cores, Func<double>? otherLoad = null)
{
    private int _busy;

    /// <summary>How to stop each running speculation, oldest first.</summary>
    private readonly LinkedList<Action> _running = new();

    /// <summary>The gate every matcher of the process shares: one core per processor.</summary>
    public static SpeculationGate Shared { get; } = new(Environment.ProcessorCount, OtherProcessesLoad.OfThisMachine().Cores);

    /// <summary>The cores speculation may fill.</summary>
    public int Cores { get; } = cores >= 1 ? cores : throw new ArgumentOutOfRangeException(nameof(cores), "A gate needs at least one core.");

    /// <summary>Matches in flight plus speculations running.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>True when more work is running than there are cores: a running speculation should give way.</summary>
    public bool Oversubscribed => Busy > Cores;

    /// <summary>Counts a match in flight until the returned scope is disposed; stops the oldest running speculation when the cores are now oversubscribed.</summary>
    public Scope EnterMatch()
    {
        if (Interlocked.Increment(ref _busy) > Cores)
            StopOldestSpeculation();
        return new Scope(this, null);
    }

    /// <summary>
    /// Counts a speculation when a core is idle (fewer matches and speculations than cores); null when
    /// none is. <paramref name="stop"/> is called (once, from a match's thread) when a match needs the core back.
    /// </summary>
    public Scope? TryEnterSpeculation(Action? stop = null)
    {
        int others = otherLoad is null ? 0 : (int)Math.Round(otherLoad());
        int seen = Volatile.Read(ref _busy);
        while (seen + others < Cores)
        {
            int before = Interlocked.CompareExchange(ref _busy, seen + 1, seen);
            if (before == seen)
            {
                LinkedListNode<Action>? node = null;
                if (stop is not null)
                {
                    lock (_running)
                        node = _running.AddLast(stop);
                }
                return new Scope(this, node);
            }
            seen = before;
        }
        return null;
    }

    private void StopOldestSpeculation()
    {
        Action? stop = null;
        lock (_running)
        {
            if (_running.First is { } oldest)
            {
                stop = oldest.Value;
                _running.Remove(oldest);
            }
        }
        stop?.Invoke();
    }

    /// <summary>One unit of counted work; disposing it (once) gives the core back.</summary>
    public sealed class Scope(SpeculationGate gate, LinkedListNode<Action>? speculation) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            if (speculation is not null)
            {
                lock (gate._running)
                {
                    if (speculation.List is not null)
                        gate._running.Remove(speculation);
                }
            }
            Interlocked.Decrement(ref gate._busy);
        }
    }
}
