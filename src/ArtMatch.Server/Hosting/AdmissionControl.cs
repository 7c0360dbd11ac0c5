using Grpc.Core;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// Admission control for photo work: a bounded queue in front of a fixed number of workers, a
/// per-caller share of the queue and of the workers, and a ceiling on the bytes of photos in flight.
/// <see cref="EnterAsync"/> either admits (then waits its turn) or throws RESOURCE_EXHAUSTED saying
/// what was full and to retry.
/// <para>
/// Work-conserving, fair under contention: a caller alone is lent the idle workers beyond its running
/// share (<see cref="AdmissionSettings.MaxRunningPerCaller"/>). When a caller under its share arrives
/// and only lent workers are busy, its photo starts at once and the most recently lent worker is
/// taken back: that slot's <see cref="AdmissionSlot.Reclaimed"/> fires, its work stops where it is
/// (the decode's kill flag, the matcher between stages) and waits at the head of the queue with
/// <see cref="AdmissionSlot.WaitForWorkerAgainAsync"/>, then starts over. So a caller flooding an
/// idle server neither leaves a core idle nor makes the next caller wait for its long decodes. A
/// freed worker goes first to the longest-waiting photo whose caller is under its share, then to any.
/// </para>
/// Every RPC that decodes or embeds a photo goes through it; handlers added later (verification,
/// cases) call it the same way: <c>using var slot = await admission.EnterAsync(context.CallerKey(), bytes, token);</c>
/// (work that does not watch <see cref="AdmissionSlot.Reclaimed"/> simply keeps its lent worker).
/// </summary>
public sealed class AdmissionControl
{
    private readonly AdmissionSettings _settings;
    private readonly Dictionary<string, Caller> _callers = new(StringComparer.Ordinal);
    private readonly LinkedList<AdmissionSlot> _waiting = new();
    private readonly LinkedList<AdmissionSlot> _lent = new();
    private readonly object _gate = new();
    private int _admitted;
    private int _running;
    private int _yielding;
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

    /// <summary>Photos running now (lent workers included).</summary>
    public int Running
    {
        get
        {
            lock (_gate)
                return _running;
        }
    }

    /// <summary>
    /// Admits one photo (or one request's photos) of <paramref name="bytes"/> for <paramref name="caller"/>
    /// and waits for a worker; dispose the result when the work is done. RESOURCE_EXHAUSTED when the
    /// queue, the caller's share or the memory ceiling is full; cancelled with <paramref name="cancellation"/>
    /// while waiting (the place in the queue is given up).
    /// </summary>
    public async Task<AdmissionSlot> EnterAsync(string caller, long bytes, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        AdmissionSlot slot;
        bool waits;
        var reclaimed = new List<AdmissionSlot>();
        lock (_gate)
        {
            Admit(caller, bytes);
            slot = new AdmissionSlot(this, caller, bytes);
            waits = !MayStart(caller);
            if (waits)
                slot.Node = _waiting.AddLast(slot);
            else
            {
                Start(slot, reclaimed);
                slot.Started();
            }
        }
        Reclaim(reclaimed);
        if (waits)
            await WaitTurnAsync(slot, cancellation).ConfigureAwait(false);
        return slot;
    }

    /// <summary>The slot's lent worker was taken back: it waits at the head of the queue for a worker again.</summary>
    internal async Task WaitAgainAsync(AdmissionSlot slot, CancellationToken cancellation)
    {
        var started = new List<AdmissionSlot>();
        var reclaimed = new List<AdmissionSlot>();
        lock (_gate)
        {
            if (slot.State != SlotState.Running)
                throw new InvalidOperationException("Only a running slot can wait for a worker again.");
            Stop(slot);
            slot.Waiting();
            slot.Node = _waiting.AddFirst(slot);
            StartWaiting(started, reclaimed);
        }
        Release(started, reclaimed);
        await WaitTurnAsync(slot, cancellation).ConfigureAwait(false);
    }

    private async Task WaitTurnAsync(AdmissionSlot slot, CancellationToken cancellation)
    {
        using (cancellation.Register(() => GiveUp(slot)))
            await slot.Turn.Task.ConfigureAwait(false);
    }

    private void Admit(string caller, long bytes)
    {
        if (_admitted >= _settings.MaxRunning + _settings.MaxWaiting)
            throw Busy($"the server is busy: {_admitted} photos in progress or waiting, the most it takes on");
        var mine = _callers.GetValueOrDefault(caller);
        if (mine is not null && mine.Admitted >= _settings.MaxPerCaller)
            throw Busy($"this caller already has {mine.Admitted} photos in progress or waiting, its share ({_settings.MaxPerCaller})");
        if (_bytes + bytes > _settings.MaxInFlightBytes && _admitted > 0)
            throw Busy($"photos in progress hold {_bytes / 1048576.0:0} MB, the ceiling is {_settings.MaxInFlightBytes / 1048576.0:0} MB");
        _admitted++;
        _bytes += bytes;
        if (mine is null)
            _callers[caller] = mine = new Caller();
        mine.Admitted++;
    }

    private bool UnderShare(string caller) => _callers[caller].Running < _settings.MaxRunningPerCaller;

    /// <summary>
    /// Under its share: when the workers held within shares leave room (lent ones are taken back).
    /// Over it: only on an idle worker, and only when nobody under their share waits.
    /// </summary>
    private bool MayStart(string caller) => UnderShare(caller)
        ? WithinShares() < _settings.MaxRunning
        : _running < _settings.MaxRunning && !_waiting.Any(w => UnderShare(w.Caller));

    /// <summary>Workers held within their callers' shares (the others are lent, or taken back and about to yield).</summary>
    private int WithinShares() => _running - _lent.Count - _yielding;

    private void Start(AdmissionSlot slot, List<AdmissionSlot> reclaimed)
    {
        bool lent = !UnderShare(slot.Caller);
        _running++;
        _callers[slot.Caller].Running++;
        if (lent)
            slot.LentNode = _lent.AddLast(slot);
        // Over the workers because this one started within its share: take the last lent worker back.
        while (_running - _yielding > _settings.MaxRunning && _lent.Last?.Value is { } last)
        {
            _lent.RemoveLast();
            last.LentNode = null;
            last.Yielding = true;
            _yielding++;
            reclaimed.Add(last);
        }
    }

    private void Stop(AdmissionSlot slot)
    {
        _running--;
        var mine = _callers[slot.Caller];
        mine.Running--;
        if (slot.LentNode is not null)
        {
            _lent.Remove(slot.LentNode);
            slot.LentNode = null;
        }
        else if (slot.Yielding)
        {
            slot.Yielding = false;
            _yielding--;
        }
        else if (_lent.Reverse().FirstOrDefault(s => s.Caller == slot.Caller) is { } stillLent)
        {
            // A worker within the caller's share freed while it runs a lent one: that one is within its share now.
            _lent.Remove(stillLent.LentNode!);
            stillLent.LentNode = null;
        }
    }

    /// <summary>Forgets a slot finished or given up, then hands free workers to the queue.</summary>
    internal void Leave(AdmissionSlot slot)
    {
        var started = new List<AdmissionSlot>();
        var reclaimed = new List<AdmissionSlot>();
        lock (_gate)
        {
            if (slot.State == SlotState.Done)
                return;
            if (slot.State == SlotState.Running)
                Stop(slot);
            else if (slot.Node is not null)
            {
                _waiting.Remove(slot.Node);
                slot.Node = null;
            }
            slot.Done();
            _admitted--;
            _bytes -= slot.Bytes;
            var mine = _callers[slot.Caller];
            if (--mine.Admitted == 0)
                _callers.Remove(slot.Caller);
            StartWaiting(started, reclaimed);
        }
        Release(started, reclaimed);
    }

    /// <summary>First the photos of callers under their share, in order of arrival; then, on workers still idle, anyone's.</summary>
    private void StartWaiting(List<AdmissionSlot> started, List<AdmissionSlot> reclaimed)
    {
        foreach (bool underSharePass in new[] { true, false })
        {
            for (var node = _waiting.First; node is not null;)
            {
                var next = node.Next;
                var slot = node.Value;
                bool under = UnderShare(slot.Caller);
                if (under ? WithinShares() < _settings.MaxRunning : !underSharePass && _running < _settings.MaxRunning)
                {
                    _waiting.Remove(node);
                    slot.Node = null;
                    Start(slot, reclaimed);
                    slot.Started();
                    started.Add(slot);
                }
                node = next;
            }
        }
    }

    private static void Release(List<AdmissionSlot> started, List<AdmissionSlot> reclaimed)
    {
        foreach (var slot in started)
            slot.Turn.TrySetResult();
        Reclaim(reclaimed);
    }

    private static void Reclaim(List<AdmissionSlot> reclaimed)
    {
        foreach (var slot in reclaimed)
            slot.TakeBack();
    }

    private void GiveUp(AdmissionSlot slot)
    {
        lock (_gate)
        {
            if (slot.State != SlotState.Waiting)
                return; // Already started: the slot is the caller's to dispose.
        }
        Leave(slot);
        slot.Turn.TrySetCanceled();
    }

    private static RpcException Busy(string why) => new(new Status(StatusCode.ResourceExhausted,
        $"Refused: {why}. Retry after a moment (back off, e.g. 1 s then doubling)."));

    internal enum SlotState { Waiting, Running, Done }

    private sealed class Caller
    {
        public int Admitted { get; set; }

        public int Running { get; set; }
    }
}

/// <summary>
/// A photo admitted by <see cref="AdmissionControl"/>; dispose it when the work is done (or given up).
/// While it runs on a worker lent beyond its caller's share, <see cref="Reclaimed"/> fires when a
/// caller under its share needs the worker: stop, call <see cref="WaitForWorkerAgainAsync"/>, start over.
/// </summary>
public sealed class AdmissionSlot : IDisposable
{
    private readonly AdmissionControl _owner;
    private CancellationTokenSource _reclaim = new();

    internal AdmissionSlot(AdmissionControl owner, string caller, long bytes)
    {
        _owner = owner;
        Caller = caller;
        Bytes = bytes;
    }

    public string Caller { get; }

    public long Bytes { get; }

    /// <summary>Fires when this photo's lent worker is taken back for another caller; never for work within its caller's share.</summary>
    public CancellationToken Reclaimed => _reclaim.Token;

    internal AdmissionControl.SlotState State { get; private set; } = AdmissionControl.SlotState.Waiting;

    internal TaskCompletionSource Turn { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal LinkedListNode<AdmissionSlot>? Node { get; set; }

    internal LinkedListNode<AdmissionSlot>? LentNode { get; set; }

    /// <summary>Its lent worker was taken back and it has not yet stopped.</summary>
    internal bool Yielding { get; set; }

    /// <summary>Waits (first in the queue) for a worker again after <see cref="Reclaimed"/> fired.</summary>
    public Task WaitForWorkerAgainAsync(CancellationToken cancellation) => _owner.WaitAgainAsync(this, cancellation);

    public void Dispose() => _owner.Leave(this);

    internal AdmissionSlot Started()
    {
        State = AdmissionControl.SlotState.Running;
        return this;
    }

    internal void Waiting()
    {
        State = AdmissionControl.SlotState.Waiting;
        Turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reclaim.Dispose();
        _reclaim = new CancellationTokenSource();
    }

    internal void Done() => State = AdmissionControl.SlotState.Done;

    internal void TakeBack()
    {
        try
        {
            _reclaim.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
