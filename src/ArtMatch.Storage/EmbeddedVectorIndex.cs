using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>
/// The in-process <see cref="IVectorIndex"/>: the rows of the current model in memory, searched exactly,
/// ranked by the catalogue's whitening once one is learned. With <see cref="Compact"/> (the default) a
/// learned whitening also makes the rows compact: one int8 copy of each row whitened and projected to
/// 512 dimensions (<see cref="CompactRows"/>), ranked by it; each hit's plain cosine then comes from the
/// float rows its owner keeps (<see cref="PlainRows"/>: the store's SQLite), read after the search's
/// lock is released. Readers share a reader-writer lock; writers
/// (and <see cref="Train"/>, which must see no write between reading the rows and installing what it
/// learned from them) also take one writer lock, so a long training holds off writes, not searches.
/// </summary>
public sealed class EmbeddedVectorIndex : IVectorIndex
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Lock _writers = new();
    private VectorIndex _index;

    private readonly EmbeddedIndexSettings _settings;
    private Task _background = Task.CompletedTask;
    private int _building;
    private int _bulkLoads;
    private volatile bool _disposed;
    private readonly PlainRowCache _plainCache;

    internal EmbeddedVectorIndex(int dimension, EmbeddedIndexSettings? settings = null)
    {
        _settings = settings ?? new EmbeddedIndexSettings();
        _settings.Validate();
        _index = Configure(new VectorIndex(dimension));
        _plainCache = new PlainRowCache((long)_settings.PlainCacheMegabytes * 1024 * 1024);
    }

    private VectorIndex Configure(VectorIndex index)
    {
        index.Probes = _settings.Probes;
        index.ProbedListShare = _settings.ProbedListShare;
        index.ApproximateAboveRows = _settings.ApproximateAboveRows;
        index.ParallelThreshold = _settings.ParallelAboveRows;
        index.MaxParallelism = _settings.ThreadsPerSearch();
        return index;
    }

    /// <summary>Called with every whitening <see cref="Train"/> learns, before searches use it (the store keeps it).</summary>
    internal Action<Whitening>? SaveWhitening { get; init; }

    /// <summary>
    /// Where a compact index keeps its rows, memory-mapped (<see cref="RowFile"/>; the store sets DIRECTORY/vectors.rows
    /// when <see cref="EmbeddedIndexSettings.MapRows"/>); null: in managed memory.
    /// </summary>
    internal string? RowFilePath { get; init; }

    /// <summary>Whether a learned whitening makes the rows compact (else a whitened float32 copy is kept beside the plain rows).</summary>
    internal bool Compact => _settings.Compact;

    /// <summary>What went wrong in the last background build of the inverted file, if anything (searches went on exactly).</summary>
    internal Exception? BackgroundError { get; private set; }

    /// <summary>
    /// The float rows of the named objects (only whole-picture rows when asked), from where the owner keeps
    /// them: the plain cosines of a compact index's hits. Null: hits keep the compact score as their score.
    /// </summary>
    internal Func<IReadOnlyCollection<string>, bool, IReadOnlyDictionary<string, List<float[]>>>? PlainRows { get; init; }

    /// <summary>True once the rows are compact.</summary>
    internal bool IsCompact => Read(index => index.IsCompact);

    public int Dimension => _index.Dimension;

    public int RowCount => Read(index => index.RowCount);

    /// <summary>The whitening searches rank by, or null.</summary>
    public Whitening? Whitening => Read(index => index.Whitening);

    /// <summary>Swaps in an index built elsewhere (loading a store) in one step.</summary>
    internal void Replace(VectorIndex index)
    {
        VectorIndex old = null!;
        lock (_writers)
        {
            Write(_ =>
            {
                old = _index;
                _index = Configure(index);
            });
        }
        // No search holds the old one any more (they run under the reader lock): its row file can be unmapped.
        if (!ReferenceEquals(old, index))
            old.Dispose();
        StartBackgroundWork();
    }

    public void Upsert(IndexedObject record, IReadOnlyList<IndexedImage> images) => Upsert(record, images, null);

    /// <summary>As <see cref="Upsert(IndexedObject, IReadOnlyList{IndexedImage})"/>, with each image's vectors' keys (their SQLite rowids) for the row file.</summary>
    internal void Upsert(IndexedObject record, IReadOnlyList<IndexedImage> images, IReadOnlyList<long[]>? keys)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(images);
        lock (_writers)
        {
            Write(index =>
            {
                index.SetObject(record);
                for (int i = 0; i < images.Count; i++)
                    index.AddImage(record.ObjectId, images[i].ImageId, images[i].Vectors, keys?[i]);
            });
        }
        StartBackgroundWork();
    }

    /// <summary>As <see cref="Upsert(IndexedObject, IReadOnlyList{IndexedImage})"/> with one image whose rows are given projected (<see cref="RankRows"/> of a compact index).</summary>
    internal void UpsertProjected(IndexedObject record, string imageId, IReadOnlyList<float[]> projected, IReadOnlyList<long>? keys = null)
    {
        lock (_writers)
        {
            Write(index =>
            {
                index.SetObject(record);
                index.AddProjected(record.ObjectId, imageId, projected, keys);
            });
        }
        StartBackgroundWork();
    }

    /// <summary>Sets the lists scanned per query from now on: at least <paramref name="probes"/>, or <paramref name="share"/> of them when more (benchmarks sweep it).</summary>
    internal void SetProbes(int probes, double share)
    {
        lock (_writers)
            Write(index => (index.Probes, index.ProbedListShare) = (probes, share));
    }

    /// <summary>Lists a query scans now (0 without an inverted file).</summary>
    internal int ProbedLists => Read(index => index.ProbedLists);

    /// <summary>How searches split their scan now: from how many rows on, over how many threads (tests).</summary>
    internal (int ParallelAboveRows, int Threads) SearchSplit => Read(index => (index.ParallelThreshold, index.MaxParallelism));

    /// <summary>Threads one search may use from now on (benchmarks compare one and two; the config's <see cref="EmbeddedIndexSettings.SearchThreads"/> otherwise).</summary>
    internal void SetSearchThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (_writers)
            Write(index => index.MaxParallelism = threads);
    }

    /// <summary>
    /// A bulk load (importing a large catalogue): until the returned handle is disposed, no inverted file is
    /// learned (a growing index would otherwise learn it again at every doubling of its rows and assign every
    /// row each time); at the end it is learned once from all the rows, in the background as usual. Rows added
    /// meanwhile to an inverted file already installed still join their lists. Nestable.
    /// </summary>
    internal IDisposable BeginBulkLoad()
    {
        Interlocked.Increment(ref _bulkLoads);
        return new BulkLoad(this);
    }

    private sealed class BulkLoad(EmbeddedVectorIndex owner) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0)
                return;
            Interlocked.Decrement(ref owner._bulkLoads);
            owner.StartBackgroundWork();
        }
    }

    /// <summary>Starts learning the inverted file in the background when the index wants one and no build runs (nor a bulk load).</summary>
    private void StartBackgroundWork()
    {
        if (_disposed || Volatile.Read(ref _bulkLoads) > 0 || Volatile.Read(ref _building) != 0 || !Read(index => index.WantsIvf || index.WantsListOrder))
            return;
        if (Interlocked.CompareExchange(ref _building, 1, 0) != 0)
            return;
        _background = Task.Run(BackgroundWork);
    }

    /// <summary>Rows assigned to lists per step under the reader lock (writers wait at most one step); settable for tests.</summary>
    internal static int AssignBlock { get; set; } = 16_384;

    private const int IvfSampleRows = 65_536;

    /// <summary>Rows a background build found assigned by an earlier process and did not assign again (0: none; tests, benchmarks).</summary>
    internal int IvfBuildResumedFrom { get; private set; }

    /// <summary>
    /// Learns the inverted file from a sample of the rows (no lock held), assigns the rows a block at a
    /// time under the reader lock, and installs it under the writer lock with the rows added meanwhile.
    /// Starts over when rows moved (a compaction) or the index was replaced; searches use the index as it
    /// was (the exact scan, or the inverted file installed before) until the install. With a row file, the
    /// centroids and each block's lists are recorded beside it as they are made (<see cref="IvfFile"/>), so a
    /// process killed mid-way continues from its last block on the next opening, and the installed one is saved.
    /// </summary>
    /// <summary>The inverted file learned when wanted, then the row file written again in its list order when wanted, until neither is.</summary>
    private void BackgroundWork()
    {
        try
        {
            while (!_disposed)
            {
                if (Read(i => i.WantsIvf))
                    BuildIvf();
                else if (Read(i => i.WantsListOrder))
                    OrderRowsByLists();
                else
                    return;
            }
        }
        catch (Exception e)
        {
            BackgroundError = e;
        }
        finally
        {
            Volatile.Write(ref _building, 0);
        }
    }

    /// <summary>One attempt (<see cref="BackgroundWork"/> tries again when the rows moved meanwhile).</summary>
    private void BuildIvf()
    {
        var (index, generation, stored, dims, resumed) = Read(i => (i, i.Generation, i.StoredRows, i.RankDimensions, i.ResumeIvfBuild()));
        IvfLists ivf;
        var lists = new int[stored];
        int from = 0;
        if (resumed is { } found)
        {
            (ivf, from) = (found.Ivf, found.Lists.Length);
            found.Lists.CopyTo(lists, 0);
            IvfBuildResumedFrom = from;
        }
        else
        {
            var (sample, live) = Read(i => (i.IvfSample(IvfSampleRows), i.RowCount));
            ivf = IvfLists.Train(sample, dims, IvfLists.ListsFor(live), live);
        }
        using var progress = Read(i => ReferenceEquals(i, index) && i.Generation == generation ? i.RecordIvfBuild(ivf, from) : null);
        bool moved = false;
        for (int start = from; start < stored && !moved && !_disposed; start += AssignBlock)
        {
            int end = Math.Min(stored, start + AssignBlock);
            var block = Read(i => ReferenceEquals(i, index) && i.Generation == generation ? i.AssignRows(ivf, start, end) : null);
            if (block is null)
            {
                moved = true;
                break;
            }
            block.CopyTo(lists, start);
            progress?.Append(block);
            StorageTestHooks.IvfRowsAssigned?.Invoke(end);
        }
        progress?.Dispose();
        if (!moved && !_disposed)
        {
            lock (_writers)
                moved = !Write(i => ReferenceEquals(i, index) && i.InstallIvf(ivf, lists, generation));
        }
    }

    /// <summary>Rows copied per step of a rewrite in list order under the reader lock (writers wait at most one step); settable for tests.</summary>
    internal static int ListOrderBlock { get; set; } = RowFile.SegmentRows;

    /// <summary>
    /// Writes the row file again in the inverted file's list order (<see cref="VectorIndex.BeginListOrder"/>):
    /// planned under the writer lock, copied a block at a time under the reader lock (searches go on, writes
    /// wait at most a block), flushed with no lock held, swapped in under the writer lock with the rows added
    /// and deleted meanwhile. Dropped when the rows moved meanwhile (a compaction) or the index closes.
    /// </summary>
    private void OrderRowsByLists()
    {
        ListOrderRewrite? rewrite;
        lock (_writers)
            rewrite = Write(i => i.BeginListOrder());
        if (rewrite is null)
            return;
        bool finished = false;
        try
        {
            bool current = true;
            for (int start = 0; start < rewrite.Rows && current && !_disposed; start += ListOrderBlock)
            {
                int end = Math.Min(rewrite.Rows, start + ListOrderBlock);
                current = Read(i => i.WriteListOrder(rewrite, start, end));
                StorageTestHooks.ListOrderRowsWritten?.Invoke(end);
            }
            if (current && !_disposed)
            {
                rewrite.Flush();
                lock (_writers)
                    finished = Write(i => i.FinishListOrder(rewrite));
            }
        }
        finally
        {
            if (!finished)
            {
                lock (_writers)
                    Write(i => i.AbandonListOrder(rewrite));
            }
        }
    }

    /// <summary>Waits for a background build of the inverted file (benchmarks, tests).</summary>
    internal void WaitForBackgroundWork()
    {
        while (true)
        {
            _background.Wait();
            if (!Read(index => index.WantsIvf || index.WantsListOrder) || BackgroundError is not null)
                return;
            StartBackgroundWork();
            if (Volatile.Read(ref _building) == 0)
                return;
        }
    }

    public bool DeleteObject(string objectId)
    {
        lock (_writers)
            return Write(index => index.Remove(objectId));
    }

    public bool DeleteImage(string objectId, string imageId)
    {
        lock (_writers)
            return Write(index => index.RemoveImage(objectId, imageId));
    }

    public bool Contains(string objectId, string imageId) => Read(index => index.Contains(objectId, imageId));

    /// <summary>One query (see <see cref="SearchMany"/>), scanned on up to <see cref="EmbeddedIndexSettings.SearchThreads"/> threads.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter)
    {
        IReadOnlyList<VectorHit> hits;
        bool compact;
        _lock.EnterReadLock();
        try
        {
            hits = _index.Search(query, k, filter);
            compact = _index.IsCompact;
        }
        finally
        {
            _lock.ExitReadLock();
        }
        return compact ? WithPlainScores([query.ToArray()], [hits], filter.WholeImagesOnly)[0] : hits;
    }

    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var (hits, compact) = Read(index => (index.SearchMany(queries, k, filter), index.IsCompact));
        return compact ? WithPlainScores(queries, hits, filter.WholeImagesOnly) : hits;
    }

    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(objectIds);
        var (hits, compact) = Read(index => (index.ScoreObjects(query, objectIds), index.IsCompact));
        return compact ? WithPlainScores([query], [hits], wholeImagesOnly: false)[0] : hits;
    }

    /// <summary>
    /// A compact index's hits with <see cref="VectorHit.Score"/> set to the plain cosine of each object's
    /// best row for its query (whole-picture rows only when asked), from <see cref="PlainRows"/>, read once
    /// for all queries. Outside the index's lock: the owner takes its own. Objects it no longer has keep
    /// the compact score.
    /// </summary>
    private IReadOnlyList<IReadOnlyList<VectorHit>> WithPlainScores(IReadOnlyList<float[]> queries, IReadOnlyList<IReadOnlyList<VectorHit>> hits, bool wholeImagesOnly)
    {
        if (PlainRows is not { } source)
            return hits;
        var ids = hits.SelectMany(list => list.Select(h => h.ObjectId)).ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0)
            return hits;
        var rows = PlainRowsOf(source, ids, wholeImagesOnly);
        var result = new IReadOnlyList<VectorHit>[hits.Count];
        for (int j = 0; j < hits.Count; j++)
        {
            result[j] = hits[j].Select(hit =>
            {
                if (!rows.TryGetValue(hit.ObjectId, out var vectors) || vectors.Count == 0)
                    return hit;
                float plain = float.NegativeInfinity;
                foreach (var vector in vectors)
                    plain = MathF.Max(plain, System.Numerics.Tensors.TensorPrimitives.Dot<float>(queries[j], vector));
                return hit with { Score = plain };
            }).ToList();
        }
        return result;
    }

    /// <summary>The plain rows of <paramref name="ids"/>: those kept from earlier searches, the rest read from the owner (and kept).</summary>
    private IReadOnlyDictionary<string, List<float[]>> PlainRowsOf(Func<IReadOnlyCollection<string>, bool, IReadOnlyDictionary<string, List<float[]>>> source,
        HashSet<string> ids, bool wholeImagesOnly)
    {
        var missing = new List<string>();
        long generation = _plainCache.Generation;
        var rows = _plainCache.Get(ids, wholeImagesOnly, missing);
        if (missing.Count == 0)
            return rows;
        var read = source(missing, wholeImagesOnly);
        _plainCache.Put(read, wholeImagesOnly, generation);
        foreach (var (id, list) in read)
            rows[id] = list;
        return rows;
    }

    /// <summary>Objects whose plain rows are kept in memory (tests).</summary>
    internal int PlainRowsKept => _plainCache.Count;

    public IReadOnlySet<string>? AllowedObjectIds(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.IsEmpty ? null : Read(index => index.AllowedObjectIds(filter));
    }

    /// <summary>
    /// Learns the whitening from the live rows (see <see cref="IVectorIndex.Train"/>; at least
    /// <see cref="Whitening.MinVectors"/> rows), hands it to <see cref="SaveWhitening"/>, then installs it
    /// with every row whitened. Searches go on with the old ranking until the switch.
    /// </summary>
    public bool Train(double staleShare)
    {
        lock (_writers)
        {
            // Writers are held off, so the rows cannot change between the reads below and the install.
            var (count, current, compact) = Read(index => (index.RowCount, index.Whitening, index.IsCompact));
            if (compact || count < Whitening.MinVectors(Dimension))
                return false;   // compact: the float rows to learn from are the owner's (SqliteCatalogStore.RefreshWhitening)
            if (current is not null && staleShare > 0 && Math.Abs(count - current.LearnedFrom) <= staleShare * current.LearnedFrom)
                return false;
            var whitening = Whitening.Learn(Read(index => index.LiveRows()), Dimension);
            if (Compact)
            {
                SaveWhitening?.Invoke(whitening);
                Write(index => index.MakeCompact(whitening, RowFilePath));
                StartBackgroundWork();
                return true;
            }
            var whitened = Read(index => index.WhitenRows(whitening));
            SaveWhitening?.Invoke(whitening);
            Write(index => index.SetWhitening(whitening, whitened));
            return true;
        }
    }

    /// <summary>Searches without the whitening until the store is opened again (benchmarks compare the two).</summary>
    internal void SuspendWhitening()
    {
        lock (_writers)
            Write(index => index.SetWhitening(null, null));
    }

    /// <summary>
    /// <paramref name="vectors"/> as the index ranks them, in float (whitened when a whitening is
    /// installed): the exact reference the scale benchmark compares the index's answers with.
    /// </summary>
    internal float[][] RankRows(IReadOnlyList<float[]> vectors)
    {
        if (IsCompact)
            return Read(index => index.ProjectCompact(vectors));
        var whitening = Whitening;
        if (whitening is null)
            return vectors.Select(v => (float[])v.Clone()).ToArray();
        var flat = new float[vectors.Count * Dimension];
        whitening.Apply(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), flat);
        return Enumerable.Range(0, vectors.Count).Select(i => flat.AsSpan(i * Dimension, Dimension).ToArray()).ToArray();
    }

    /// <summary>Bytes the index itself keeps in files (its row file; none when the rows live in memory, rebuilt from SQLite on opening).</summary>
    internal long DiskBytes => Read(index => index.RowFileBytes);

    /// <summary>Bytes the rows searched take in memory (compact rows, or float32 rows and their whitened copy).</summary>
    internal long RowBytes => Read(index => index.RowBytes);

    /// <summary>The compact projection's mean and matrix (input x output, row-major) and output dimensions (the scale benchmark makes its synthetic rows with them), or null.</summary>
    internal (float[] Mean, float[] Projection, int Dimensions)? ProjectionParts => Read(index => index.ProjectionParts);

    /// <summary>Rows at the start of the row file in the inverted file's list order (0: none, or no inverted file or row file).</summary>
    internal int OrderedRows => Read(index => index.OrderedRows);

    /// <summary>Lists of the inverted file searches use (0: exact scan).</summary>
    internal int IvfListCount => Read(index => index.HasIvf ? index.IvfLists : 0);

    /// <summary>One line on how rows are held and searched (benchmarks print it).</summary>
    internal string Describe() => Read(index => index.IsCompact
        ? $"compact rows: whitened, {index.RankDimensions} dims, int8 + a float scale per row ("
            + (index.RowFileBytes > 0 ? $"memory-mapped file of {index.RowFileBytes / 1048576} MB" : $"{index.RowBytes / 1048576} MB") + "); "
            + (index.HasIvf ? $"inverted file of {index.IvfLists} lists, {index.ProbedLists} probed" + (index.OrderedRows > 0 ? $", {index.OrderedRows} rows in list order (read positionally)" : "") : "exact scan")
        : $"exact scan, float32 rows of {Dimension} dims" + (index.Whitening is null ? "" : " plus a whitened float32 copy"));

    /// <summary>Nothing to do: the store's SQLite file holds the vectors and the whitening, and the index is rebuilt from it on opening.</summary>
    public void Flush()
    {
    }

    private T Read<T>(Func<VectorIndex, T> read)
    {
        _lock.EnterReadLock();
        try
        {
            return read(_index);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private T Write<T>(Func<VectorIndex, T> write)
    {
        _lock.EnterWriteLock();
        try
        {
            return write(_index);
        }
        finally
        {
            // Rows read for plain scores before this write may be gone or changed.
            _plainCache.Invalidate();
            _lock.ExitWriteLock();
        }
    }

    private void Write(Action<VectorIndex> write) => Write(index =>
    {
        write(index);
        return true;
    });

    public void Dispose()
    {
        _disposed = true;
        try
        {
            _background.Wait();
        }
        catch (AggregateException)
        {
            // Kept in BackgroundError; nothing more to do at disposal.
        }
        try
        {
            _index.SaveIvf();   // rows added since the last save are then not assigned again on opening
        }
        catch (IOException)
        {
            // A cache: the next opening assigns them.
        }
        _index.Dispose();
        _lock.Dispose();
    }
}
