using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ArtMatch.Server.Tests.Support;

/// <summary>Keeps what the server logs (Information and up), so a test can wait for a line.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly SemaphoreSlim _added = new(0);

    public sealed record Entry(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception);

    public IReadOnlyCollection<Entry> Entries => _entries;

    /// <summary>The first entry matching <paramref name="match"/>, waiting for it up to <paramref name="guard"/> (a guard against a hang, not a timing).</summary>
    public async Task<Entry> WaitForAsync(Func<Entry, bool> match, TimeSpan guard)
    {
        using var timeout = new CancellationTokenSource(guard);
        while (true)
        {
            if (_entries.FirstOrDefault(match) is { } found)
                return found;
            try
            {
                await _added.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The awaited log line never came; the log has:\n" + string.Join("\n", _entries.Select(e => $"{e.Level} {e.Category} [{e.Id}] {e.Message}")));
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => _added.Dispose();

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
            owner._added.Release();
        }
    }
}
