namespace ArtMatch.Core;

/// <summary>
/// Reports on the calling thread, serialised. Progress&lt;T&gt; posts to the thread pool and can
/// report after the work has ended, which garbles progress bars.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate)
            report(value);
    }
}
