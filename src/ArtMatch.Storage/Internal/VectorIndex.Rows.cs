using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>One vector the store holds, without its data: its key (SQLite rowid), object, image and region.</summary>
internal readonly record struct StoredRow(long Key, string ObjectId, string ImageId, int Region);

/// <summary>What opening a row file found: rows taken as they were, rows projected again from SQLite, rows found deleted.</summary>
internal readonly record struct RowFileOpening(int Reused, int Appended, int Dead, bool Rebuilt, bool Resumed)
{
    /// <summary>True when the inverted file saved beside the rows was installed (not learned again).</summary>
    public bool Ivf { get; init; }
}

/// <summary>
/// A compact <see cref="VectorIndex"/> opened over a memory-mapped <see cref="RowFile"/>: the file's rows are
/// checked against the store's vectors by key, without reading their codes.
/// </summary>
internal sealed partial class VectorIndex
{
    /// <summary>Rows projected from SQLite and appended together on opening.</summary>
    private const int OpenBatch = 512;

    /// <summary>
    /// Makes this empty index compact with <paramref name="whitening"/> and its rows those of the row file at
    /// <paramref name="path"/>, matched with <paramref name="stored"/> (the store's vectors of the model, in
    /// ascending key order; their objects set already). A file row is taken when its key is the next stored
    /// one; any other file row (deleted, a tombstone, a duplicate left by an interrupted rewrite, a row past the
    /// header's count) is dead: tombstoned and skipped until a compaction. Stored rows the file lacks are read
    /// with <paramref name="vectorsOf"/> (keys to plain vectors, same order), projected and appended. When the
    /// file is missing or was written with another whitening, the rows are written to PATH.tmp and renamed over
    /// at the end; a PATH.tmp of this whitening left by an interrupted opening is continued, not begun again.
    /// Null, and nothing changed, when another holder has the file open (the caller keeps the rows in memory).
    /// </summary>
    public RowFileOpening? OpenRows(Whitening whitening, string path, IEnumerable<StoredRow> stored, Func<IReadOnlyList<long>, IReadOnlyList<float[]>> vectorsOf)
    {
        if (_rows > 0 || _compact is not null)
            throw new InvalidOperationException("Rows are held already.");
        if (whitening.Dimension != Dimension)
            throw new ArgumentException($"The whitening has {whitening.Dimension} dimensions; the index holds {Dimension}.");
        var compact = new CompactRows(whitening);
        RowFile? file;
        bool rebuilt, resumed = false;
        try
        {
            file = RowFile.Open(path, compact.Dimensions, compact.Fingerprint);
            rebuilt = file is null;
            if (file is null)
            {
                file = RowFile.Open(path + ".tmp", compact.Dimensions, compact.Fingerprint);
                resumed = file is not null;
                file ??= RowFile.Create(path + ".tmp", compact.Dimensions, compact.Fingerprint);
            }
        }
        catch (IOException)
        {
            return null;   // held by another process (or this one's previous index)
        }
        compact.UseFile(file);
        _compact = compact;
        _matrix = [];
        _whitened = null;
        _rowKey = [];
        Whitening = whitening;

        var keys = file.ReadKeys();
        var missing = MatchKeys(file, keys, stored);
        int dead = _deadRows;
        int reused = _rows - dead;

        for (int start = 0; start < missing.Count; start += OpenBatch)
        {
            var batch = missing.GetRange(start, Math.Min(OpenBatch, missing.Count - start));
            var batchKeys = batch.Select(r => r.Key).ToList();
            var vectors = vectorsOf(batchKeys);
            if (vectors.Count != batch.Count)
                throw new InvalidOperationException("The store returned another number of vectors than asked for.");
            AddRows(batch.Select((r, i) => (r.ObjectId, r.ImageId, r.Region, vectors[i])).ToList(), batchKeys);
        }
        file.Publish();
        if (rebuilt)
            file.Rename(path);
        _rowFilePath = path;
        bool ivf = LoadIvf();
        if (_deadRows > _rows / 4)
            Compact();
        return new RowFileOpening(reused, missing.Count, dead, rebuilt, resumed) { Ivf = ivf };
    }

    /// <summary>
    /// Takes the file's rows (<paramref name="keys"/>, in file order) that the store still holds, in file order;
    /// the others (deleted, tombstones, a duplicate left by an interrupted rewrite: the later one) are dead,
    /// tombstoned. The file's keys ascend when its rows are in the order they were added, and are matched with
    /// <paramref name="stored"/> (ascending) as they come; a file in list order (<see cref="OrderByLists"/>) is
    /// matched through its keys sorted. Returns the stored rows the file lacks.
    /// </summary>
    private List<StoredRow> MatchKeys(RowFile file, long[] keys, IEnumerable<StoredRow> stored)
    {
        var missing = new List<StoredRow>();
        int grave = -1;
        void Dead(int at)
        {
            if (grave < 0)
                grave = NewSlot();
            AppendDeadRow(grave);
            if (keys[at] != RowFile.Tombstone)
                file.Kill(at);
        }
        bool ascending = true;
        long last = long.MinValue;
        for (int i = 0; i < keys.Length && ascending; i++)
        {
            if (keys[i] == RowFile.Tombstone)
                continue;
            ascending = keys[i] >= last;
            last = keys[i];
        }
        if (ascending)
        {
            int at = 0;
            foreach (var row in stored)
            {
                while (at < keys.Length && keys[at] < row.Key)
                    Dead(at++);
                if (at < keys.Length && keys[at] == row.Key)
                {
                    AppendRow(row.ObjectId, row.ImageId, row.Region, ReadOnlySpan<float>.Empty, row.Key);
                    at++;
                }
                else
                {
                    missing.Add(row);
                }
            }
            while (at < keys.Length)
                Dead(at++);
            return missing;
        }
        var sorted = (long[])keys.Clone();
        var positions = new int[keys.Length];
        for (int i = 0; i < positions.Length; i++)
            positions[i] = i;
        Array.Sort(sorted, positions);
        var taken = new StoredRow[keys.Length];
        var has = new bool[keys.Length];
        int next = 0;
        foreach (var row in stored)
        {
            while (next < sorted.Length && sorted[next] < row.Key)
                next++;
            if (next < sorted.Length && sorted[next] == row.Key)
            {
                int first = positions[next];
                for (; next < sorted.Length && sorted[next] == row.Key; next++)
                    first = Math.Min(first, positions[next]);
                taken[first] = row;
                has[first] = true;
            }
            else
            {
                missing.Add(row);
            }
        }
        for (int at = 0; at < keys.Length; at++)
        {
            if (has[at])
                AppendRow(taken[at].ObjectId, taken[at].ImageId, taken[at].Region, ReadOnlySpan<float>.Empty, taken[at].Key);
            else
                Dead(at);
        }
        return missing;
    }

    /// <summary>Bookkeeping for a row of the file that is not the store's any more (owned by a slot never alive).</summary>
    private void AppendDeadRow(int grave)
    {
        if (_rows == _rowObject.Length)
            GrowRows();
        _rowObject[_rows] = grave;
        _rowImage[_rows] = -1;
        _rowRegion[_rows] = -1;
        _objectRows[grave].Add(_rows);
        _rows++;
        _deadRows++;
    }
}
