using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>Exact search over a <see cref="VectorIndex"/>: scan every wanted row, keep each object's best, return the top objects.</summary>
internal sealed partial class VectorIndex
{
    /// <summary>The top <paramref name="k"/> objects by their best row's dot product with <paramref name="query"/>.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter) => Search(query, k, filter, MaxParallelism);

    /// <summary>As <see cref="Search(ReadOnlySpan{float}, int, SearchFilter)"/>, scanning with at most <paramref name="maxThreads"/> threads.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter, int maxThreads)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        ArgumentNullException.ThrowIfNull(filter);
        if (k < 1 || RowCount == 0)
            return [];
        if (_compact is not null)
            return SearchManyCompact([query.ToArray()], k, filter, maxThreads)[0];
        int objects = _objectSlots;
        byte[]? rentedMask = filter.IsEmpty ? null : AllowedObjects(filter);
        byte[] allowed = rentedMask ?? _objectAlive;
        int parts = _rows >= ParallelThreshold ? Math.Clamp(maxThreads, 1, 64) : 1;
        var best = new float[parts][];
        var bestRow = new int[parts][];
        float[] queryCopy = ArrayPool<float>.Shared.Rent(Dimension);
        float[] matrix = _whitened ?? _matrix;
        try
        {
            if (Whitening is not null)
                Whitening.Apply([query.ToArray()], queryCopy);
            else
                query.CopyTo(queryCopy);
            if (parts == 1)
            {
                (best[0], bestRow[0]) = RentBest(objects);
                Scan(matrix, queryCopy, 0, _rows, allowed, filter.WholeImagesOnly, best[0], bestRow[0]);
            }
            else
            {
                // Blocks of whole rows per thread; each thread keeps its own per-object bests.
                int chunk = (_rows + parts - 1) / parts;
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                {
                    (best[part], bestRow[part]) = RentBest(objects);
                    Scan(matrix, queryCopy, part * chunk, Math.Min(_rows, (part + 1) * chunk), allowed, filter.WholeImagesOnly, best[part], bestRow[part]);
                });
                // Later parts hold later rows: a strict comparison keeps the earliest row on a tie, as one thread would.
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
            return TopK(best[0], bestRow[0], objects, k, query, filter.WholeImagesOnly);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(queryCopy);
            if (rentedMask is not null)
                ArrayPool<byte>.Shared.Return(rentedMask);
            for (int part = 0; part < parts; part++)
            {
                if (best[part] is not null)
                    ArrayPool<float>.Shared.Return(best[part]);
                if (bestRow[part] is not null)
                    ArrayPool<int>.Shared.Return(bestRow[part]);
            }
        }
    }

    /// <summary>
    /// Several queries in one pass over the rows: each wanted row is read once and scored against
    /// every query (a photo's many region vectors against the whole pictures). Same scores and order
    /// as <see cref="Search(ReadOnlySpan{float}, int, SearchFilter)"/> per query; one thread.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        foreach (var query in queries)
        {
            if (query.Length != Dimension)
                throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        }
        if (k < 1 || RowCount == 0 || queries.Count == 0)
            return queries.Select(_ => (IReadOnlyList<VectorHit>)[]).ToList();
        if (_compact is not null)
            return SearchManyCompact(queries, k, filter, 1);
        int objects = _objectSlots;
        byte[]? rentedMask = filter.IsEmpty ? null : AllowedObjects(filter);
        byte[] allowed = rentedMask ?? _objectAlive;
        var best = new float[queries.Count][];
        var bestRow = new int[queries.Count][];
        var ranked = queries;
        if (Whitening is not null)
        {
            var whitened = new float[queries.Count * Dimension];
            Whitening.Apply(queries.Select(q => (ReadOnlyMemory<float>)q).ToList(), whitened);
            ranked = Enumerable.Range(0, queries.Count).Select(j => whitened.AsSpan(j * Dimension, Dimension).ToArray()).ToList();
        }
        try
        {
            for (int j = 0; j < queries.Count; j++)
                (best[j], bestRow[j]) = RentBest(objects);
            ref float matrix = ref MemoryMarshal.GetArrayDataReference(_whitened ?? _matrix);
            for (int row = 0; row < _rows; row++)
            {
                int ordinal = _rowObject[row];
                if (allowed[ordinal] == 0 || (filter.WholeImagesOnly && _rowRegion[row] != 0))
                    continue;
                ref float rowStart = ref Unsafe.Add(ref matrix, (nint)row * Dimension);
                for (int j = 0; j < queries.Count; j++)
                    Offer(best[j], bestRow[j], ordinal, row, DotKernels.Dot1(ranked[j], ref rowStart));
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

    internal static (float[], int[]) RentBest(int objects)
    {
        var best = ArrayPool<float>.Shared.Rent(Math.Max(1, objects));
        best.AsSpan(0, objects).Fill(float.NegativeInfinity);
        return (best, ArrayPool<int>.Shared.Rent(Math.Max(1, objects)));
    }

    /// <summary>Scores rows [start, end): four at a time when all four are wanted, else one by one. No allocation.</summary>
    private void Scan(float[] rows, float[] query, int start, int end, byte[] allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        int dim = Dimension;
        var q = new ReadOnlySpan<float>(query, 0, dim);
        ref float matrix = ref MemoryMarshal.GetArrayDataReference(rows);
        int[] rowObject = _rowObject;
        int[] rowRegion = _rowRegion;
        int row = start;
        for (; row + 4 <= end; row += 4)
        {
            int o0 = rowObject[row], o1 = rowObject[row + 1], o2 = rowObject[row + 2], o3 = rowObject[row + 3];
            bool wanted = (allowed[o0] & allowed[o1] & allowed[o2] & allowed[o3]) != 0
                && (!wholeImagesOnly || (rowRegion[row] | rowRegion[row + 1] | rowRegion[row + 2] | rowRegion[row + 3]) == 0);
            if (wanted)
            {
                DotKernels.Dot4(q, ref Unsafe.Add(ref matrix, (nint)row * dim), out float s0, out float s1, out float s2, out float s3);
                Offer(best, bestRow, o0, row, s0);
                Offer(best, bestRow, o1, row + 1, s1);
                Offer(best, bestRow, o2, row + 2, s2);
                Offer(best, bestRow, o3, row + 3, s3);
            }
            else
            {
                for (int r = row; r < row + 4; r++)
                    ScanOne(q, ref matrix, r, allowed, wholeImagesOnly, best, bestRow);
            }
        }
        for (; row < end; row++)
            ScanOne(q, ref matrix, row, allowed, wholeImagesOnly, best, bestRow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ScanOne(ReadOnlySpan<float> query, ref float matrix, int row, byte[] allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        int ordinal = _rowObject[row];
        if (allowed[ordinal] == 0 || (wholeImagesOnly && _rowRegion[row] != 0))
            return;
        Offer(best, bestRow, ordinal, row, DotKernels.Dot1(query, ref Unsafe.Add(ref matrix, (nint)row * query.Length)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Offer(float[] best, int[] bestRow, int ordinal, int row, float score)
    {
        if (score > best[ordinal])
        {
            best[ordinal] = score;
            bestRow[ordinal] = row;
        }
    }

    /// <summary>
    /// The k best objects, highest score first; equal scores ordered by object id. When the scores were
    /// whitened, each hit's <see cref="VectorHit.Score"/> is still its object's best plain cosine with
    /// <paramref name="query"/> (over the rows searched), so that it means what it means without whitening.
    /// </summary>
    internal List<VectorHit> TopK(float[] best, int[] bestRow, int objects, int k, ReadOnlySpan<float> query, bool wholeImagesOnly)
    {
        k = Math.Min(k, objects);
        int[] top = ArrayPool<int>.Shared.Rent(Math.Max(1, k > SmallK ? objects : k));
        int count = 0;
        try
        {
            if (k > SmallK)
            {
                // Large k: sort every scored object (n log n) rather than insertion into a long list.
                for (int o = 0; o < objects; o++)
                {
                    if (!float.IsNegativeInfinity(best[o]))
                        top[count++] = o;
                }
                top.AsSpan(0, count).Sort((a, b) => a == b ? 0 : Better(a, b, best) ? -1 : 1);
                count = Math.Min(count, k);
            }
            // Small k: a sorted array of at most k ordinals; most objects fail the cheap threshold test.
            for (int o = 0; k <= SmallK && o < objects; o++)
            {
                float score = best[o];
                if (float.IsNegativeInfinity(score) || (count == k && !Better(o, top[k - 1], best)))
                    continue;
                int position = count == k ? k - 1 : count++;
                while (position > 0 && Better(o, top[position - 1], best))
                {
                    top[position] = top[position - 1];
                    position--;
                }
                top[position] = o;
            }
            var hits = new List<VectorHit>(count);
            for (int i = 0; i < count; i++)
            {
                int ordinal = top[i];
                int row = bestRow[ordinal];
                var hit = new VectorHit(_objectIds[ordinal]!, _images[_rowImage[row]], _rowRegion[row], best[ordinal]);
                if (_compact is not null)
                    hit = hit with { WhitenedScore = best[ordinal] };
                else if (Whitening is not null)
                    hit = hit with { Score = BestPlainScore(ordinal, query, wholeImagesOnly), WhitenedScore = best[ordinal] };
                hits.Add(hit);
            }
            return hits;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(top);
        }
    }

    private float BestPlainScore(int ordinal, ReadOnlySpan<float> query, bool wholeImagesOnly)
    {
        float best = float.NegativeInfinity;
        foreach (int row in _objectRows[ordinal])
        {
            if (!wholeImagesOnly || _rowRegion[row] == 0)
                best = MathF.Max(best, DotKernels.Dot1(query, ref _matrix[(int)((long)row * Dimension)]));
        }
        return best;
    }

    /// <summary>
    /// Each named object's best row by <paramref name="query"/>: its plain cosine as the score and, with a
    /// whitening installed, its whitened cosine, the image and region being those of the row that ranks
    /// (whitened when whitening, as in <see cref="Search(ReadOnlySpan{float}, int, SearchFilter)"/>).
    /// Objects not in the index, or without rows, are left out; repeated ids count once.
    /// </summary>
    public IReadOnlyList<VectorHit> ScoreObjects(ReadOnlySpan<float> query, IReadOnlyCollection<string> objectIds)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        if (_compact is not null)
            return ScoreObjectsCompact(query, objectIds);
        float[]? whitenedQuery = Whitening?.Apply(query);
        var hits = new List<VectorHit>();
        foreach (var objectId in objectIds.Distinct(StringComparer.Ordinal))
        {
            if (!_objectOrdinal.TryGetValue(objectId, out int ordinal) || _objectRows[ordinal].Count == 0)
                continue;
            float plain = float.NegativeInfinity, rankScore = float.NegativeInfinity;
            int rankRow = -1;
            foreach (int row in _objectRows[ordinal])
            {
                int at = (int)((long)row * Dimension);
                float score = DotKernels.Dot1(query, ref _matrix[at]);
                plain = MathF.Max(plain, score);
                if (whitenedQuery is not null)
                    score = DotKernels.Dot1(whitenedQuery, ref _whitened![at]);
                if (score > rankScore)
                    (rankScore, rankRow) = (score, row);
            }
            var hit = new VectorHit(objectId, _images[_rowImage[rankRow]], _rowRegion[rankRow], plain);
            hits.Add(whitenedQuery is null ? hit : hit with { WhitenedScore = rankScore });
        }
        return hits;
    }

    private bool Better(int a, int b, float[] best) =>
        best[a] > best[b] || (best[a] == best[b] && string.CompareOrdinal(_objectIds[a], _objectIds[b]) < 0);

    /// <summary>Gives back the per-query buffers (and the filter mask) a search rented, whichever were taken before it ended.</summary>
    private static void ReturnRented(byte[]? rentedMask, float[]?[] best, int[]?[] bestRow)
    {
        if (rentedMask is not null)
            ArrayPool<byte>.Shared.Return(rentedMask);
        for (int j = 0; j < best.Length; j++)
        {
            if (best[j] is not null)
                ArrayPool<float>.Shared.Return(best[j]!);
            if (bestRow[j] is not null)
                ArrayPool<int>.Shared.Return(bestRow[j]!);
        }
    }
}
