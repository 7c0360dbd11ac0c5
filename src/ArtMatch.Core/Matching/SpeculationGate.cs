namespace ArtMatch.Core.Matching;

/// <summary>
/// Keeps speculative work on idle cores: counts the matches in flight and the speculations running
/// in the process, and lets a speculation start only while that count is below the cores. A server
/// under load (as many matches as cores) speculates not at all, so wasted work never takes a core a
/// match could use. Thread-safe.
/// </summary>
public sealed class SpeculationGate(int cores)
{
    private int _busy;

    /// <summary>The gate every matcher of the process shares: one core per processor.</summary>
    public static SpeculationGate Shared { get; } = new(Environment.ProcessorCount);

    /// <summary>The cores speculation may fill.</summary>
    public int Cores { get; } = cores >= 1 ? cores : throw new ArgumentOutOfRangeException(nameof(cores), "A gate needs at least one core.");

    /// <summary>Matches in flight plus speculations running.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>True when more work is running than there are cores: a running speculation should give way.</summary>
    public bool Oversubscribed => Busy > Cores;

    /// <summary>Counts a match in flight until the returned scope is disposed.</summary>
    public Scope EnterMatch()
    {
        Interlocked.Increment(ref _busy);
        return new Scope(this);
    }

    /// <summary>Counts a speculation when a core is idle (fewer matches and speculations than cores); null when none is.</summary>
    public Scope? TryEnterSpeculation()
    {
        int seen = Volatile.Read(ref _busy);
        while (seen < Cores)
        {
            int before = Interlocked.CompareExchange(ref _busy, seen + 1, seen);
            if (before == seen)
                return new Scope(this);
            seen = before;
        }
        return null;
    }

    /// <summary>One unit of counted work; disposing it (once) gives the core back.</summary>
    public sealed class Scope(SpeculationGate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                Interlocked.Decrement(ref gate._busy);
        }
    }
}
