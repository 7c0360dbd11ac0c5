using System.Buffers;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// A <see cref="VectorIndex"/> whose rows live once, as <see cref="CompactRows"/>: making it compact,
/// adding to it, and searching it (every wanted row scored by its int8 code).
/// </summary>
internal sealed partial class VectorIndex
{
    /// <summary>Rows made compact a block at a time, so that the projection is read once per block.</summary>
    private const int CompactBlock = 1024;

    /// <summary>
    /// Ranks by <paramref name="whitening"/> from now on with the rows as <see cref="CompactRows"/> only:
    /// the plain and whitened float matrices are dropped (their memory returns to the runtime). With
    /// <paramref name="rowFile"/>, the rows go to a memory-mapped file there (written beside it, then renamed).
    /// </summary>
    public void MakeCompact(Whitening whitening, string? rowFile = null)
    {
        ArgumentNullException.ThrowIfNull(whitening);
        if (_compact is not null)
            throw new InvalidOperationException("The index is compact already.");
        if (whitening.Dimension != Dimension)
            throw new ArgumentException($"The whitening has {whitening.Dimension} dimensions; the index holds {Dimension}.");
        var compact = new CompactRows(whitening);
        try
        {
            if (rowFile is not null)
                compact.UseFile(RowFile.Create(rowFile + ".tmp", compact.Dimensions, compact.Fingerprint));
        }
        catch (IOException)
        {
            rowFile = null;   // held by another process: the rows stay in memory
        }
        for (int start = 0; start < _rows; start += CompactBlock)
        {
            int count = Math.Min(CompactBlock, _rows - start);
            var block = new List<ReadOnlyMemory<float>>(count);
            for (int row = start; row < start + count; row++)
                block.Add(_matrix.AsMemory((int)((long)row * Dimension), Dimension));
            compact.Append(block, new ArraySegment<long>(_rowKey, start, count));
        }
        if (rowFile is not null)
        {
            foreach (int row in DeadRows())
                compact.Kill(row);
            compact.File!.Rename(rowFile);
            _rowFilePath = rowFile;
        }
        _compact = compact;
        _matrix = [];
        _whitened = null;
        _rowKey = [];
        Whitening = whitening;
    }

    private IEnumerable<int> DeadRows()
    {
        for (int row = 0; row < _rows; row++)
        {
            if (_objectAlive[_rowObject[row]] == 0)
                yield return row;
        }
    }

    /// <summary>Bytes the rows take in memory (compact codes, or the float matrices).</summary>
    public long RowBytes => _compact?.Bytes ?? ((long)_matrix.Length + (_whitened?.Length ?? 0)) * sizeof(float);

    /// <summary>Bytes of the memory-mapped row file (0 when the rows are in memory).</summary>
    public long RowFileBytes => _compact?.FileBytes ?? 0;

    /// <summary>The compact projection's mean, matrix and output dimensions, or null (not compact).</summary>
    public (float[] Mean, float[] Projection, int Dimensions)? ProjectionParts =>
        _compact is { } c ? (c.LinearParts.Mean, c.LinearParts.Projection, c.Dimensions) : null;

    /// <summary>Dimensions a row is ranked in (the compact projection's, or the model's).</summary>
    public int RankDimensions => _compact?.Dimensions ?? Dimension;

    /// <summary>Vectors as the compact index ranks them, in float: the exact reference for benchmarks.</summary>
    public float[][] ProjectCompact(IReadOnlyList<float[]> vectors)
    {
        var compact = _compact ?? throw new InvalidOperationException("The index is not compact.");
        var flat = new float[vectors.Count * compact.Dimensions];
        compact.Project(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), flat);
        return Enumerable.Range(0, vectors.Count).Select(i => flat.AsSpan(i * compact.Dimensions, compact.Dimensions).ToArray()).ToArray();
    }

    /// <summary>
    /// Appends one image's rows given already projected (<see cref="ProjectCompact"/>: unit, <see cref="RankDimensions"/>
    /// values each), so a caller that needs the float form too projects once (the scale benchmark's exact reference).
    /// </summary>
    public void AddProjected(string objectId, string imageId, IReadOnlyList<float[]> projected, IReadOnlyList<long>? keys = null)
    {
        var compact = _compact ?? throw new InvalidOperationException("The index is not compact.");
        if (projected.Any(p => p.Length != compact.Dimensions))
            throw new ArgumentException($"Projected rows have {compact.Dimensions} dimensions.");
        int first = _rows;
        for (int region = 0; region < projected.Count; region++)
            AppendRow(objectId, imageId, region, ReadOnlySpan<float>.Empty, 0);
        for (int region = 0; region < projected.Count; region++)
            compact.AppendProjected(projected[region], keys?[region] ?? 0);
        compact.Publish();
        AssignNewRows(first);
    }

    /// <summary>Makes the rows just appended (the last <paramref name="vectors"/>.Count) compact and files them in their lists.</summary>
    private void AppendCompact(IReadOnlyList<ReadOnlyMemory<float>> vectors, IReadOnlyList<long>? keys = null)
    {
        _compact!.Append(vectors, keys);
        AssignNewRows(_rows - vectors.Count);
    }

    private void AfterCompaction() => RefillLists();

    private (short[] Codes, float Scale) PrepareQuery(ReadOnlySpan<float> query)
    {
        var projected = _compact!.Project(query);
        var codes = new short[projected.Length];
        return (codes, CompactRows.QuantiseQuery(projected, codes));
    }

    /// <summary>
    /// Several queries projected in one pass (a photo's ~85 regions: the projection matrix, megabytes, is
    /// read once per block of queries instead of once per query; each query's sums are the same), then quantised.
    /// </summary>
    private (short[] Codes, float Scale)[] PrepareQueries(IReadOnlyList<float[]> queries)
    {
        if (queries.Count == 1)
            return [PrepareQuery(queries[0])];
        int m = _compact!.Dimensions;
        var projected = new float[queries.Count * m];
        _compact.Project(queries.Select(q => (ReadOnlyMemory<float>)q).ToList(), projected);
        var prepared = new (short[] Codes, float Scale)[queries.Count];
        for (int j = 0; j < queries.Count; j++)
        {
            var codes = new short[m];
            prepared[j] = (codes, CompactRows.QuantiseQuery(projected.AsSpan(j * m, m), codes));
        }
        return prepared;
    }

    /// <summary>
    /// The compact search: each query projected and quantised, every wanted row scored (split over up to
    /// <paramref name="maxThreads"/> threads when there is one query and many rows). Hits carry the
    /// compact score as <see cref="VectorHit.Score"/> and <see cref="VectorHit.WhitenedScore"/>.
    /// </summary>
    private IReadOnlyList<IReadOnlyList<VectorHit>> SearchManyCompact(IReadOnlyList<float[]> queries, int k, SearchFilter filter, int maxThreads)
    {
        int objects = _objectSlots;
        byte[]? rentedMask = filter.IsEmpty ? null : AllowedObjects(filter);
        byte[] allowed = rentedMask ?? _objectAlive;
        var prepared = PrepareQueries(queries);
        int parts = queries.Count == 1 && (_rows >= ParallelThreshold || _ivf is not null) ? Math.Clamp(maxThreads, 1, 64) : 1;
        var best = new float[Math.Max(parts, queries.Count)][];
        var bestRow = new int[best.Length][];
        try
        {
            if (_ivf is not null)
            {
                for (int j = 0; j < queries.Count; j++)
                    (best[j], bestRow[j]) = RentBest(objects);
                SearchLists(queries, prepared, parts, allowed, filter.WholeImagesOnly, best, bestRow, objects);
            }
            else if (parts > 1)
            {
                int chunk = (_rows + parts - 1) / parts;
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                {
                    (best[part], bestRow[part]) = RentBest(objects);
                    ScanCompact(prepared, part * chunk, Math.Min(_rows, (part + 1) * chunk), allowed, filter.WholeImagesOnly, best.AsSpan(part, 1), bestRow.AsSpan(part, 1));
                });
                MergeParts(best, bestRow, parts, objects);
            }
            else
            {
                for (int j = 0; j < queries.Count; j++)
                    (best[j], bestRow[j]) = RentBest(objects);
                ScanCompact(prepared, 0, _rows, allowed, filter.WholeImagesOnly, best, bestRow);
            }
            var results = new IReadOnlyList<VectorHit>[queries.Count];
            for (int j = 0; j < queries.Count; j++)
                results[j] = TopK(best[j], bestRow[j], objects, k, queries[j], filter.WholeImagesOnly);
            return results;
        }
        finally
        {
            ReturnRented(rentedMask, best, bestRow);
        }
    }

    /// <summary>Folds parts 1.. into part 0; a later part wins only when strictly better (the earliest row on a tie, as one thread).</summary>
    private static void MergeParts(float[][] best, int[][] bestRow, int parts, int objects)
    {
        for (int part = 1; part < parts; part++)
        {
            for (int o = 0; o < objects; o++)
            {
                if (best[part][o] > best[0][o])
                {
                    best[0][o] = best[part][o];
                    bestRow[0][o] = bestRow[part][o];
                }
            }
        }
    }

    private void ScanCompact((short[] Codes, float Scale)[] queries, int start, int end, byte[] allowed, bool wholeImagesOnly, Span<float[]> best, Span<int[]> bestRow)
    {
        var compact = _compact!;
        for (int row = start; row < end; row++)
        {
            int ordinal = _rowObject[row];
            if (allowed[ordinal] == 0 || (wholeImagesOnly && _rowRegion[row] != 0))
                continue;
            ref sbyte codes = ref compact.CodeStart(row);
            float rowScale = compact.Scale(row);
            for (int j = 0; j < queries.Length; j++)
                Offer(best[j], bestRow[j], ordinal, row, Int8Kernels.Dot(queries[j].Codes, ref codes) * queries[j].Scale * rowScale);
        }
    }

    /// <summary>Each named object's best row by compact score (both scores that score; see <see cref="ScoreObjects"/>).</summary>
    private List<VectorHit> ScoreObjectsCompact(ReadOnlySpan<float> query, IReadOnlyCollection<string> objectIds)
    {
        var (codes, scale) = PrepareQuery(query);
        var hits = new List<VectorHit>();
        foreach (var objectId in objectIds.Distinct(StringComparer.Ordinal))
        {
            if (!_objectOrdinal.TryGetValue(objectId, out int ordinal) || _objectRows[ordinal].Count == 0)
                continue;
            float best = float.NegativeInfinity;
            int bestAt = -1;
            foreach (int row in _objectRows[ordinal])
            {
                float score = _compact!.Score(codes, scale, row);
                if (score > best)
                    (best, bestAt) = (score, row);
            }
            hits.Add(new VectorHit(objectId, _images[_rowImage[bestAt]], _rowRegion[bestAt], best) { WhitenedScore = best });
        }
        return hits;
    }
}
