using Grpc.Core;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// Admission control for photo work: a bounded queue in front of a fixed number of workers, a
/// per-caller share of the queue and of the workers, and a ceiling on the bytes of photos in flight.
/// <see cref="EnterAsync"/> either admits (then waits its turn) or throws RESOURCE_EXHAUSTED saying
/// what was full and to retry. A freed worker goes to the longest-waiting photo whose caller is
/// under its running share, so one caller's backlog does not hold up the others. Every RPC that
/// decodes or embeds a photo goes through it; handlers added later (verification, cases) call it the
/// same way: <c>using var slot = await admission.EnterAsync(context.CallerKey(), bytes, token);</c>
/// </summary>
public sealed class AdmissionControl
{
    private readonly AdmissionSettings _settings;
    private readonly Dictionary<string, (int Admitted, int Running)> _callers = new(StringComparer.Ordinal);
    private readonly LinkedList<Waiter> _waiting = new();
    private readonly object _gate = new();
    private int _admitted;
    private int _running;
    private long _bytes;

    public AdmissionControl(AdmissionSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxRunning, 1, nameof(settings.MaxRunning));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxWaiting, 0, nameof(settings.MaxWaiting));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxPerCaller, 1, nameof(settings.MaxPerCaller));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxRunningPerCaller, 1, nameof(settings.MaxRunningPerCaller));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxInFlightBytes, 1, nameof(settings.MaxInFlightBytes));
        _settings = settings;
    }

    public AdmissionSettings Settings => _settings;

    /// <summary>Photos admitted and not finished (running or waiting).</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
                return _admitted;
        }
    }

    /// <summary>
    /// Admits one photo (or one request's photos) of <paramref name="bytes"/> for <paramref name="caller"/>
    /// and waits for a worker; dispose the result when the work is done. RESOURCE_EXHAUSTED when the
    /// queue, the caller's share or the memory ceiling is full; cancelled with <paramref name="cancellation"/>
    /// while waiting (the place in the queue is given up).
    /// </summary>
    public async Task<IDisposable> EnterAsync(string caller, long bytes, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_gate)
        {
            Admit(caller, bytes);
            waiter = new Waiter(caller, bytes);
            if (_running < _settings.MaxRunning && _callers[caller].Running < _settings.MaxRunningPerCaller)
            {
                Start(caller);
                return new Slot(this, caller, bytes);
            }
            waiter.Node = _waiting.AddLast(waiter);
        }
        using (cancellation.Register(() => GiveUp(waiter)))
            await waiter.Turn.Task.ConfigureAwait(false);
        return new Slot(this, caller, bytes);
    }

    private void Admit(string caller, long bytes)
    {
        if (_admitted >= _settings.MaxRunning + _settings.MaxWaiting)
            throw Busy($"the server is busy: {_admitted} photos in progress or waiting, the most it takes on");
        var mine = _callers.GetValueOrDefault(caller);
        if (mine.Admitted >= _settings.MaxPerCaller)
            throw Busy($"this caller already has {mine.Admitted} photos in progress or waiting, its share ({_settings.MaxPerCaller})");
        if (_bytes + bytes > _settings.MaxInFlightBytes && _admitted > 0)
            throw Busy($"photos in progress hold {_bytes / 1048576.0:0} MB, the ceiling is {_settings.MaxInFlightBytes / 1048576.0:0} MB");
        _admitted++;
        _bytes += bytes;
        _callers[caller] = (mine.Admitted + 1, mine.Running);
    }

    private void Start(string caller)
    {
        _running++;
        var mine = _callers[caller];
        _callers[caller] = (mine.Admitted, mine.Running + 1);
    }

    /// <summary>Forgets a photo admitted and now finished (or given up), then hands free workers to the queue.</summary>
    private void Leave(string caller, long bytes, bool wasRunning)
    {
        var started = new List<Waiter>();
        lock (_gate)
        {
            _admitted--;
            _bytes -= bytes;
            var mine = _callers[caller];
            mine = (mine.Admitted - 1, mine.Running - (wasRunning ? 1 : 0));
            if (wasRunning)
                _running--;
            if (mine.Admitted == 0)
                _callers.Remove(caller);
            else
                _callers[caller] = mine;
            for (var node = _waiting.First; node is not null && _running < _settings.MaxRunning;)
            {
                var next = node.Next;
                if (_callers[node.Value.Caller].Running < _settings.MaxRunningPerCaller)
                {
                    _waiting.Remove(node);
                    node.Value.Node = null;
                    Start(node.Value.Caller);
                    started.Add(node.Value);
                }
                node = next;
            }
        }
        foreach (var waiter in started)
            waiter.Turn.TrySetResult();
    }

    private void GiveUp(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node is null)
                return; // Already started: the slot is the caller's to dispose.
            _waiting.Remove(waiter.Node);
            waiter.Node = null;
        }
        Leave(waiter.Caller, waiter.Bytes, wasRunning: false);
        waiter.Turn.TrySetCanceled();
    }

    private static RpcException Busy(string why) => new(new Status(StatusCode.ResourceExhausted,
        $"Refused: {why}. Retry after a moment (back off, e.g. 1 s then doubling)."));

    private sealed class Waiter(string caller, long bytes)
    {
        public string Caller { get; } = caller;

        public long Bytes { get; } = bytes;

        public TaskCompletionSource Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }
    }

    private sealed class Slot(AdmissionControl owner, string caller, long bytes) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                owner.Leave(caller, bytes, wasRunning: true);
        }
    }
}
