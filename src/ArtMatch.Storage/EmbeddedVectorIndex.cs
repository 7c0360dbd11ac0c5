using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>
/// The in-process <see cref="IVectorIndex"/>: the rows of the current model in memory, searched exactly,
/// ranked by the catalogue's whitening once one is learned. Readers share a reader-writer lock; writers
/// (and <see cref="Train"/>, which must see no write between reading the rows and installing what it
/// learned from them) also take one writer lock, so a long training holds off writes, not searches.
/// </summary>
public sealed class EmbeddedVectorIndex : IVectorIndex
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Lock _writers = new();
    private VectorIndex _index;

    internal EmbeddedVectorIndex(int dimension) => _index = new VectorIndex(dimension);

    /// <summary>Called with every whitening <see cref="Train"/> learns, before searches use it (the store keeps it).</summary>
    internal Action<Whitening>? SaveWhitening { get; init; }

    public int Dimension => _index.Dimension;

    public int RowCount => Read(index => index.RowCount);

    /// <summary>The whitening searches rank by, or null.</summary>
    public Whitening? Whitening => Read(index => index.Whitening);

    /// <summary>Swaps in an index built elsewhere (loading a store) in one step.</summary>
    internal void Replace(VectorIndex index)
    {
        lock (_writers)
            Write(_ => _index = index);
    }

    public void Upsert(IndexedObject record, IReadOnlyList<IndexedImage> images)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(images);
        lock (_writers)
        {
            Write(index =>
            {
                index.SetObject(record);
                foreach (var image in images)
                    index.AddImage(record.ObjectId, image.ImageId, image.Vectors);
            });
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

    /// <summary>One query (see <see cref="SearchMany"/>), scanned on up to <see cref="VectorIndex.MaxParallelism"/> threads.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter)
    {
        _lock.EnterReadLock();
        try
        {
            return _index.Search(query, k, filter);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(queries);
        return Read(index => index.SearchMany(queries, k, filter));
    }

    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(objectIds);
        return Read(index => index.ScoreObjects(query, objectIds));
    }

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
            var (count, current) = Read(index => (index.RowCount, index.Whitening));
            if (count < Whitening.MinVectors(Dimension))
                return false;
            if (current is not null && staleShare > 0 && Math.Abs(count - current.LearnedFrom) <= staleShare * current.LearnedFrom)
                return false;
            var whitening = Whitening.Learn(Read(index => index.LiveRows()), Dimension);
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
        var whitening = Whitening;
        if (whitening is null)
            return vectors.Select(v => (float[])v.Clone()).ToArray();
        var flat = new float[vectors.Count * Dimension];
        whitening.Apply(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), flat);
        return Enumerable.Range(0, vectors.Count).Select(i => flat.AsSpan(i * Dimension, Dimension).ToArray()).ToArray();
    }

    /// <summary>Bytes the index itself keeps in files (none: the rows live in memory, rebuilt from SQLite on opening).</summary>
    internal long DiskBytes => 0;

    /// <summary>One line on how rows are held and searched (benchmarks print it).</summary>
    internal string Describe() => Read(index => $"exact scan, float32 rows of {Dimension} dims" + (index.Whitening is null ? "" : " plus a whitened float32 copy"));

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
            _lock.ExitWriteLock();
        }
    }

    private void Write(Action<VectorIndex> write) => Write(index =>
    {
        write(index);
        return true;
    });

    public void Dispose() => _lock.Dispose();
}
