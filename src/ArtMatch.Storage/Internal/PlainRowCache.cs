namespace ArtMatch.Storage.Internal;

/// <summary>
/// The float rows of objects a compact index's hits were scored with (their plain cosines), kept after
/// the first read from the store: a search's 30 objects of about 31 rows each are 4.6 MB of SQLite
/// reads, most of a cheap match's search time. Up to <see cref="CapacityBytes"/>; emptied when it
/// would overflow, and on every write to the index (<see cref="Invalidate"/>). A read that began
/// before a write is not kept (<see cref="Generation"/>), so the cache never holds rows older than
/// the index. Thread-safe.
/// </summary>
internal sealed class PlainRowCache(long capacityBytes)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string ObjectId, bool WholeOnly), List<float[]>> _rows = [];
    private long _bytes;
    private long _generation;

    public long CapacityBytes { get; } = capacityBytes;

    /// <summary>Changes with every <see cref="Invalidate"/>; taken before reading rows to keep.</summary>
    public long Generation
    {
        get
        {
            lock (_lock)
                return _generation;
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _rows.Count;
        }
    }

    /// <summary>The rows kept for each of <paramref name="objectIds"/>; those not kept go to <paramref name="missing"/>.</summary>
    public Dictionary<string, List<float[]>> Get(IEnumerable<string> objectIds, bool wholeOnly, List<string> missing)
    {
        var found = new Dictionary<string, List<float[]>>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var id in objectIds)
            {
                if (_rows.TryGetValue((id, wholeOnly), out var rows))
                    found[id] = rows;
                else
                    missing.Add(id);
            }
        }
        return found;
    }

    /// <summary>Keeps rows read when <see cref="Generation"/> was <paramref name="generation"/>; nothing when a write came since.</summary>
    public void Put(IReadOnlyDictionary<string, List<float[]>> rows, bool wholeOnly, long generation)
    {
        if (CapacityBytes <= 0)
            return;
        long bytes = rows.Values.Sum(list => list.Sum(r => (long)r.Length * sizeof(float)));
        lock (_lock)
        {
            if (generation != _generation)
                return;
            if (_bytes + bytes > CapacityBytes)
            {
                _rows.Clear();
                _bytes = 0;
            }
            foreach (var (id, list) in rows)
            {
                if (_rows.TryAdd((id, wholeOnly), list))
                    _bytes += list.Sum(r => (long)r.Length * sizeof(float));
            }
        }
    }

    /// <summary>Forgets every row (the index changed).</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _rows.Clear();
            _bytes = 0;
            _generation++;
        }
    }
}
