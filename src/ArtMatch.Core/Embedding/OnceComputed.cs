using System.Runtime.ExceptionServices;

namespace ArtMatch.Core.Embedding;

/// <summary>Who computed a <see cref="OnceComputed{T}"/>'s value.</summary>
internal enum ComputedBy
{
    Nobody,
    Reader,
    Speculation,
}

/// <summary>
/// A value computed once, by whichever thread asks first; a thread that asks while another computes
/// waits for it. A computation that ends in <see cref="OperationCanceledException"/> leaves the cell
/// empty (no half-written state), so the next reader computes it itself; any other failure is kept
/// and thrown to every reader, so an exception raised on a background thread surfaces where the
/// value is needed.
/// </summary>
internal sealed class OnceComputed<T>
{
    private readonly object _gate = new();
    private bool _running, _done;
    private T? _value;
    private ExceptionDispatchInfo? _failure;

    /// <summary>Who computed the value; <see cref="ComputedBy.Nobody"/> while none is kept.</summary>
    public ComputedBy ComputedBy { get; private set; }

    /// <summary>True once a reader has been given the value (or its failure) through <see cref="Get"/>.</summary>
    public bool Read { get; private set; }

    /// <summary>True once some thread has begun computing it (or finished).</summary>
    public bool Started
    {
        get
        {
            lock (_gate)
                return _running || _done;
        }
    }

    /// <summary>True when a value (or a failure) is kept.</summary>
    public bool Done
    {
        get
        {
            lock (_gate)
                return _done;
        }
    }

    /// <summary>The value, computed by <paramref name="compute"/> unless kept or being computed by another thread (then waited for).</summary>
    public T Get(Func<T> compute)
    {
        lock (_gate)
        {
            while (_running)
                Monitor.Wait(_gate);
            if (_done)
            {
                Read = true;
                _failure?.Throw();
                return _value!;
            }
            _running = true;
        }
        var value = Compute(compute, ComputedBy.Reader);
        lock (_gate)
            Read = true;
        return value;
    }

    /// <summary>
    /// Computes the value on behalf of a speculation unless another thread has started it; false when
    /// it did not run. A failure is kept for the readers, not thrown here; a cancellation is thrown.
    /// </summary>
    public bool TrySpeculate(Func<T> compute)
    {
        lock (_gate)
        {
            if (_running || _done)
                return false;
            _running = true;
        }
        try
        {
            Compute(compute, ComputedBy.Speculation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Kept in the cell: the stage that needs the value gets it.
        }
        return true;
    }

    /// <summary>Runs the computation this thread claimed, and records its outcome.</summary>
    private T Compute(Func<T> compute, ComputedBy by)
    {
        try
        {
            var value = compute();
            Finish(() => (_value, _done, ComputedBy) = (value, true, by));
            return value;
        }
        catch (OperationCanceledException)
        {
            Finish(() => { });
            throw;
        }
        catch (Exception e)
        {
            Finish(() => (_failure, _done, ComputedBy) = (ExceptionDispatchInfo.Capture(e), true, by));
            throw;
        }
    }

    private void Finish(Action record)
    {
        lock (_gate)
        {
            record();
            _running = false;
            Monitor.PulseAll(_gate);
        }
    }
}
