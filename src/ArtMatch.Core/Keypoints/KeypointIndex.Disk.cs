namespace ArtMatch.Core.Keypoints;

/// <summary>A stored picture's keypoints as the store lists them: which version (<see cref="KeypointFileEntry.Stamp"/>) and how many.</summary>
public sealed record StoredKeypoints(string ObjectId, string ImageId, long Stamp, int Count);

/// <summary>Where an index's pictures are: in its file (live and dead) and in memory.</summary>
public sealed record KeypointIndexState(string? Path, int FileImages, int LiveFileImages, long FileRows, int MemoryImages, long MemoryRows, bool Merging, string? LastMergeError);

public sealed partial class KeypointIndex
{
    private string? _path;
    private KeypointFile? _file;
    private FileObjects _fileObjects = FileObjects.None;
    private long _memoryRows;
    private long _deadRows;
    private Task? _merge;
    private bool _mergeAgain;
    private string? _lastMergeError;
    private Timer? _idle;
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Held while a file is written (before <see cref="_gate"/>, never inside it): one writer of PATH.tmp at a time.</summary>
    private readonly Lock _writing = new();

    /// <summary>
    /// In-memory keypoints (added since the file was written, counting removed file rows too) beyond
    /// which a merge into a new file starts at once; below it, one starts when changes pause for
    /// <see cref="IdleMerge"/> and the delta is at least 1/32 of the file.
    /// </summary>
    public long MaxMemoryRows { get; init; } = 1 << 20;

    public TimeSpan IdleMerge { get; init; } = TimeSpan.FromSeconds(2);

    public KeypointIndexState State
    {
        get
        {
            lock (_gate)
            {
                int live = _entries.Values.Count(e => e.Set is null), memory = _entries.Count - live;
                return new KeypointIndexState(_path, _file?.ImageCount ?? 0, live, _file?.Rows ?? 0, memory, _memoryRows, _merge is not null, _lastMergeError);
            }
        }
    }

    /// <summary>
    /// Keeps the index in the file at <paramref name="path"/> from now on, for the pictures
    /// <paramref name="stored"/> lists (replacing whatever the index held). The pictures the file holds
    /// in the same version (stamp and count) are searched from it; the others are read with
    /// <paramref name="read"/> and held in memory until the next merge. When there is no readable file
    /// (none yet, another format, cut short) or too much is missing from it, the file is written anew
    /// from <paramref name="readAll"/> first (entries in (object, image) order, streamed).
    /// </summary>
    public void OpenFile(string path, IReadOnlyList<StoredKeypoints> stored, Func<StoredKeypoints, KeypointSet> read, Func<IEnumerable<KeypointFileEntry>> readAll)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(stored);
        WaitForMerge();
        lock (_writing)
        lock (_gate)
        {
            ResetLocked();
            _path = path;
            KeypointFile.DeleteLeftovers(path);
            var file = TryOpen(path);
            var inFile = new List<(StoredKeypoints Stored, int Image)>();
            var missing = new List<StoredKeypoints>();
            var where = new Dictionary<(string, string), int>();
            for (int i = 0; i < (file?.ImageCount ?? 0); i++)
                where[(file!.ObjectIds[i], file.ImageIds[i])] = i;
            foreach (var s in stored)
            {
                if (file is not null && where.TryGetValue((s.ObjectId, s.ImageId), out int i) && file.Stamps[i] == s.Stamp && file.Counts[i] == s.Count)
                    inFile.Add((s, i));
                else
                    missing.Add(s);
            }
            if ((file is null && stored.Count > 0) || missing.Sum(s => (long)s.Count) > MaxMemoryRows)
            {
                file?.Dispose();
                KeypointFile.Write(path, readAll(), _cancel.Token);
                file = KeypointFile.Open(path);
                inFile = Enumerable.Range(0, file.ImageCount)
                    .Select(i => (new StoredKeypoints(file.ObjectIds[i], file.ImageIds[i], file.Stamps[i], file.Counts[i]), i)).ToList();
                missing.Clear();
            }
            _file = file;
            _fileObjects = FileObjects.Of(file);
            foreach (var (s, i) in inFile)
                _entries[(s.ObjectId, s.ImageId)] = new Entry(file, i, null, s.Stamp);
            foreach (var s in missing)
            {
                var set = read(s);
                _entries[(s.ObjectId, s.ImageId)] = new Entry(null, -1, set, s.Stamp);
                _memoryRows += set.Count;
            }
            _deadRows = (file?.Rows ?? 0) - inFile.Sum(x => (long)x.Stored.Count);
            if (MergeDue())
                StartMerge();
        }
    }

    private static KeypointFile? TryOpen(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return KeypointFile.Open(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Rewritten from the store; the store's rows are the truth, the file only a copy for search.
            return null;
        }
    }

    /// <summary>After a change (under the lock): merge at once when the delta is large, else when changes pause.</summary>
    private void Changed()
    {
        if (_path is null)
            return;
        if (_memoryRows + _deadRows >= MaxMemoryRows)
            StartMerge();
        else if (_memoryRows + _deadRows > 0)
            (_idle ??= new Timer(_ => OnIdle())).Change(IdleMerge, Timeout.InfiniteTimeSpan);
    }

    private void OnIdle()
    {
        lock (_gate)
        {
            if (_path is not null && MergeDue())
                StartMerge();
        }
    }

    private bool MergeDue()
    {
        long pending = _memoryRows + _deadRows;
        return pending >= MaxMemoryRows || (pending > 0 && (_file is null || pending * 32 >= _file.Rows));
    }

    /// <summary>Starts a merge in the background (under the lock), or asks the running one to run again after it.</summary>
    private void StartMerge()
    {
        if (_cancel.IsCancellationRequested)
            return;
        if (_merge is not null)
        {
            _mergeAgain = true;
            return;
        }
        _merge = Task.Run(() =>
        {
            try
            {
                MergeOnce(_cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
            {
                // The pictures stay searchable from memory; the next change tries again.
                lock (_gate)
                    _lastMergeError = e.Message;
            }
            finally
            {
                lock (_gate)
                {
                    _merge = null;
                    bool again = _mergeAgain;
                    _mergeAgain = false;
                    if (again && _path is not null && MergeDue())
                        StartMerge();
                }
            }
        });
    }

    /// <summary>
    /// Writes every live picture (the file's still live ones and the in-memory ones) to a new file and
    /// takes it into use; pictures changed while it was written stay as they are (in memory, or dead in
    /// the new file). The old file is unmapped once the searches using it finish.
    /// </summary>
    private void MergeOnce(CancellationToken cancel)
    {
        lock (_writing)
            MergeWriting(cancel);
    }

    private void MergeWriting(CancellationToken cancel)
    {
        List<((string ObjectId, string ImageId) Key, Entry Entry)> captured;
        KeypointFile? source;
        string path;
        lock (_gate)
        {
            path = _path!;
            captured = _entries.Select(e => (e.Key, e.Value)).OrderBy(e => e.Key.ObjectId, StringComparer.Ordinal)
                .ThenBy(e => e.Key.ImageId, StringComparer.Ordinal).ToList();
            source = _file;
            source?.Lease();
        }
        try
        {
            KeypointFile.Write(path, captured.Select(c => new KeypointFileEntry(c.Key.ObjectId, c.Key.ImageId, c.Entry.Stamp,
                c.Entry.Set ?? c.Entry.File!.Read(c.Entry.FileImage))), cancel);
        }
        finally
        {
            source?.Release();
        }
        var fresh = KeypointFile.Open(path);
        lock (_gate)
        {
            if (cancel.IsCancellationRequested || !ReferenceEquals(_file, source))
            {
                fresh.Dispose();
                return;
            }
            long dead = 0;
            for (int i = 0; i < captured.Count; i++)
            {
                var (key, entry) = captured[i];
                if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
                    _entries[key] = new Entry(fresh, i, null, entry.Stamp);
                else
                    dead += fresh.Counts[i];
            }
            _file?.Retire();
            _file = fresh;
            _fileObjects = FileObjects.Of(fresh);
            _memoryRows = _entries.Values.Where(e => e.Set is not null).Sum(e => (long)e.Set!.Count);
            _deadRows = dead;
            _lastMergeError = null;
            _snapshot = null;
        }
    }

    /// <summary>Merges the in-memory pictures into the file now (waiting for one already running); for tests, benchmarks and tools.</summary>
    public void Merge()
    {
        WaitForMerge();
        lock (_gate)
        {
            if (_path is null)
                return;
        }
        MergeOnce(_cancel.Token);
    }

    /// <summary>Waits until no merge runs.</summary>
    public void WaitForMerge()
    {
        while (true)
        {
            Task? running;
            lock (_gate)
                running = _merge;
            if (running is null)
                return;
            running.Wait();
        }
    }

    /// <summary>Drops every picture and the file (under the lock).</summary>
    private void ResetLocked()
    {
        _entries.Clear();
        _file?.Retire();
        _file = null;
        _fileObjects = FileObjects.None;
        _memoryRows = _deadRows = 0;
        _snapshot = null;
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _idle?.Dispose();
        try
        {
            WaitForMerge();
        }
        catch (AggregateException)
        {
        }
        lock (_gate)
        {
            ResetLocked();
            _path = null;
        }
    }
}
