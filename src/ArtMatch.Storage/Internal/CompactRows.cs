using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// The one copy of the rows a <see cref="VectorIndex"/> keeps once a whitening is learned: each vector
/// whitened and projected onto the <see cref="Dimensions"/> strongest principal directions of the
/// catalogue (the whitening's eigenvectors with the largest eigenvalues), made unit length again, and
/// stored as int8 codes with one float scale per row (the value = code x scale). 512 bytes and 4 bytes
/// a row instead of 2 x 5120 (plain and whitened float32). Rows live in chunks of <see cref="ChunkRows"/>
/// so that growing never copies or doubles the lot. A query is projected the same way and kept as
/// int16; a row's score, the dot product of the integers times both scales, approximates the whitened
/// cosine of the full vectors. With a <see cref="RowFile"/> the rows live in it, memory-mapped, instead of
/// managed chunks, each with its key (the SQLite rowid of its vector). Not thread-safe by itself (the
/// index's locks guard it).
/// </summary>
internal sealed unsafe class CompactRows : IDisposable
{
    /// <summary>Principal directions kept (RESULTS.md: 512 ranked as well as 1280 offline).</summary>
    public const int MaxDimensions = 512;

    public const int ChunkRows = 1 << 12;

    private const int ProjectBlock = 48;

    private readonly float[] _mean;
    // Row-major input x output: y_j = sum_i (x_i - mean_i) P[i, j].
    private readonly float[] _projection;
    private readonly List<sbyte[]> _chunks = [];
    private float[] _scales = new float[1024];
    private int _count;
    private RowFile? _file;

    public CompactRows(Whitening whitening)
    {
        Whitening = whitening;
        Input = whitening.Dimension;
        Dimensions = Math.Min(MaxDimensions, Input);
        _mean = whitening.Mean.ToArray();
        _projection = Strongest(whitening, Dimensions);
        Fingerprint = RowFile.FingerprintOf(_mean, _projection, Dimensions);
    }

    /// <summary>Of the projection: a row file written with another is stale.</summary>
    public ulong Fingerprint { get; }

    /// <summary>The memory-mapped file holding the rows, or null (managed chunks).</summary>
    public RowFile? File => _file;

    /// <summary>
    /// Keeps the rows in <paramref name="file"/> from now on (its rows, if any, are this index's first
    /// rows). Only while no row is held in memory.
    /// </summary>
    public void UseFile(RowFile file)
    {
        if (_count > 0 || _file is not null)
            throw new InvalidOperationException("Rows are held already.");
        if (file.Fingerprint != Fingerprint || file.Dimensions != Dimensions)
            throw new ArgumentException("The row file was written with another projection.");
        _file = file;
    }

    public Whitening Whitening { get; }

    /// <summary>The mean and the matrix (input x output, row-major) of the projection (benchmarks).</summary>
    internal (float[] Mean, float[] Projection) LinearParts => (_mean, _projection);

    public int Input { get; }

    /// <summary>Dimensions of a stored row.</summary>
    public int Dimensions { get; }

    public int Count => _file?.Count ?? _count;

    /// <summary>Bytes held in memory for the rows (codes and scales; none when they are in a file).</summary>
    public long Bytes => _file is null ? (long)_chunks.Count * ChunkRows * Dimensions + _scales.Length * sizeof(float) : 0;

    /// <summary>Bytes of the row file (0 without one).</summary>
    public long FileBytes => _file?.FileBytes ?? 0;

    /// <summary>
    /// The whitening's columns of the largest eigenvalues: it scales each eigenvector by (eigenvalue +
    /// floor)^(-1/4), so those are the columns of the smallest norm.
    /// </summary>
    private static float[] Strongest(Whitening whitening, int keep)
    {
        int n = whitening.Dimension;
        var full = whitening.Projection;
        var norms = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
                norms[j] += (double)full[i * n + j] * full[i * n + j];
        }
        int[] columns = Enumerable.Range(0, n).OrderBy(j => norms[j]).ThenBy(j => j).Take(keep).Order().ToArray();
        var projection = new float[n * keep];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < keep; c++)
                projection[i * keep + c] = full[i * n + columns[c]];
        }
        return projection;
    }

    /// <summary>Projects <paramref name="vectors"/> into <paramref name="destination"/> (<see cref="Dimensions"/> each, unit length): the rows' float form.</summary>
    public void Project(IReadOnlyList<ReadOnlyMemory<float>> vectors, Span<float> destination)
    {
        int n = Input, m = Dimensions;
        // Rented: a block of centred vectors is past the large-object size, and a fresh one per image
        // would pile up in the large-object heap between full collections.
        var centred = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Min(ProjectBlock, vectors.Count) * n);
        try
        {
        for (int start = 0; start < vectors.Count; start += ProjectBlock)
        {
            int count = Math.Min(ProjectBlock, vectors.Count - start);
            for (int v = 0; v < count; v++)
            {
                if (vectors[start + v].Length != n)
                    throw new ArgumentException($"Vector has {vectors[start + v].Length} dimensions; the store holds {n}.");
                TensorPrimitives.Subtract(vectors[start + v].Span, _mean, centred.AsSpan(v * n, n));
            }
            var output = destination.Slice(start * m, count * m);
            output.Clear();
            for (int i = 0; i < n; i++)
            {
                var row = new ReadOnlySpan<float>(_projection, i * m, m);
                for (int v = 0; v < count; v++)
                {
                    var y = output.Slice(v * m, m);
                    TensorPrimitives.MultiplyAdd(row, centred[v * n + i], y, y);
                }
            }
            for (int v = 0; v < count; v++)
            {
                var y = output.Slice(v * m, m);
                float norm = TensorPrimitives.Norm<float>(y);
                if (norm > 0)
                    TensorPrimitives.Divide(y, norm, y);
            }
        }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(centred);
        }
    }

    public float[] Project(ReadOnlySpan<float> vector)
    {
        var result = new float[Dimensions];
        Project([vector.ToArray()], result);
        return result;
    }

    /// <summary>Appends <paramref name="vectors"/> (the model's, plain) as rows, with their <paramref name="keys"/> (null: 0, never a rowid).</summary>
    public void Append(IReadOnlyList<ReadOnlyMemory<float>> vectors, IReadOnlyList<long>? keys = null)
    {
        var projected = new float[vectors.Count * Dimensions];
        Project(vectors, projected);
        for (int v = 0; v < vectors.Count; v++)
            AppendProjected(projected.AsSpan(v * Dimensions, Dimensions), keys?[v] ?? 0);
        _file?.Publish();
    }

    /// <summary>
    /// Appends one row already projected (unit length, <see cref="Dimensions"/> values); <paramref name="key"/>
    /// is kept with it in a row file. A row file's header counts it at the next <see cref="Publish"/>.
    /// </summary>
    public void AppendProjected(ReadOnlySpan<float> projected, long key = 0)
    {
        if (_file is not null)
        {
            _file.Appended(Quantise(projected, _file.NextCodes()), key);
            return;
        }
        if (_count == _chunks.Count * ChunkRows)
            _chunks.Add(new sbyte[ChunkRows * Dimensions]);
        if (_count == _scales.Length)
            Array.Resize(ref _scales, _scales.Length * 2);
        _scales[_count] = Quantise(projected, Codes(_count));
        _count++;
    }

    /// <summary>Counts the rows appended in a row file's header (nothing without one).</summary>
    public void Publish() => _file?.Publish();

    /// <summary>Codes of one row, at most 127 in magnitude; returns the scale (value = code x scale).</summary>
    private static float Quantise(ReadOnlySpan<float> values, Span<sbyte> codes)
    {
        float max = TensorPrimitives.MaxMagnitude(values);
        if (max == 0)
        {
            codes.Clear();
            return 0;
        }
        float inverse = 127 / max;
        for (int i = 0; i < values.Length; i++)
            codes[i] = (sbyte)MathF.Round(values[i] * inverse);
        return max / 127;
    }

    /// <summary>A query as int16 (at most 32767 in magnitude) for <see cref="Int8Kernels.Dot"/>; returns its scale.</summary>
    public static float QuantiseQuery(ReadOnlySpan<float> projected, Span<short> codes)
    {
        float max = TensorPrimitives.MaxMagnitude(projected);
        if (max == 0)
        {
            codes.Clear();
            return 0;
        }
        float inverse = 32767 / max;
        for (int i = 0; i < projected.Length; i++)
            codes[i] = (short)MathF.Round(projected[i] * inverse);
        return max / 32767;
    }

    public Span<sbyte> Codes(int row) => _file is null
        ? _chunks[row / ChunkRows].AsSpan(row % ChunkRows * Dimensions, Dimensions)
        : new Span<sbyte>(_file.Record(row), Dimensions);

    public ref sbyte CodeStart(int row) => ref _file is null
        ? ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_chunks[row / ChunkRows]), row % ChunkRows * Dimensions)
        : ref Unsafe.AsRef<sbyte>(_file.Record(row));

    public float Scale(int row) => _file is null ? _scales[row] : _file.Scale(row);

    /// <summary>Score of one row for a quantised query (<paramref name="queryScale"/> from <see cref="QuantiseQuery"/>).</summary>
    public float Score(ReadOnlySpan<short> query, float queryScale, int row) =>
        Int8Kernels.Dot(query, ref CodeStart(row)) * queryScale * Scale(row);

    /// <summary>Marks a row deleted in the row file (nothing without one: compaction drops it).</summary>
    public void Kill(int row) => _file?.Kill(row);

    /// <summary>
    /// Keeps the rows <paramref name="kept"/> (ascending), in that order: moved in memory, or written to a new
    /// row file renamed over the old one (a process killed meanwhile leaves the old one whole).
    /// </summary>
    public void Compact(IReadOnlyList<int> kept)
    {
        if (_file is { } old)
        {
            _file = RowFile.Write(old.Path, Dimensions, Fingerprint, file =>
            {
                foreach (int row in kept)
                    file.AppendCopy(old, row, old.Key(row));
            });
            old.Dispose();
            return;
        }
        for (int i = 0; i < kept.Count; i++)
        {
            if (kept[i] != i)
            {
                Codes(kept[i]).CopyTo(Codes(i));
                _scales[i] = _scales[kept[i]];
            }
        }
        _count = kept.Count;
        int chunks = (_count + ChunkRows - 1) / ChunkRows;
        _chunks.RemoveRange(chunks, _chunks.Count - chunks);
    }

    /// <summary>Takes <paramref name="file"/> (the same rows, moved) as the row file; the old one is unmapped.</summary>
    public void ReplaceFile(RowFile file)
    {
        var old = _file ?? throw new InvalidOperationException("Rows in memory have no file to replace.");
        _file = file;
        old.Dispose();
    }

    public void Dispose() => _file?.Dispose();

    /// <summary>The float form of a stored row (code x scale), for clustering.</summary>
    public void Decode(int row, Span<float> destination)
    {
        var codes = Codes(row);
        float scale = Scale(row);
        for (int i = 0; i < codes.Length; i++)
            destination[i] = codes[i] * scale;
    }
}
