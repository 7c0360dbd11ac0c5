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
/// cosine of the full vectors. Not thread-safe by itself (the index's locks guard it).
/// </summary>
internal sealed class CompactRows
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

    public CompactRows(Whitening whitening)
    {
        Whitening = whitening;
        Input = whitening.Dimension;
        Dimensions = Math.Min(MaxDimensions, Input);
        _mean = whitening.Mean.ToArray();
        _projection = Strongest(whitening, Dimensions);
    }

    public Whitening Whitening { get; }

    public int Input { get; }

    /// <summary>Dimensions of a stored row.</summary>
    public int Dimensions { get; }

    public int Count { get; private set; }

    /// <summary>Bytes held for the rows (codes and scales).</summary>
    public long Bytes => (long)_chunks.Count * ChunkRows * Dimensions + _scales.Length * sizeof(float);

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

    /// <summary>Appends <paramref name="vectors"/> (the model's, plain) as rows.</summary>
    public void Append(IReadOnlyList<ReadOnlyMemory<float>> vectors)
    {
        var projected = new float[vectors.Count * Dimensions];
        Project(vectors, projected);
        for (int v = 0; v < vectors.Count; v++)
            AppendProjected(projected.AsSpan(v * Dimensions, Dimensions));
    }

    /// <summary>Appends one row already projected (unit length, <see cref="Dimensions"/> values).</summary>
    public void AppendProjected(ReadOnlySpan<float> projected)
    {
        if (Count == _chunks.Count * ChunkRows)
            _chunks.Add(new sbyte[ChunkRows * Dimensions]);
        if (Count == _scales.Length)
            Array.Resize(ref _scales, _scales.Length * 2);
        _scales[Count] = Quantise(projected, Codes(Count));
        Count++;
    }

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

    public Span<sbyte> Codes(int row) => _chunks[row / ChunkRows].AsSpan(row % ChunkRows * Dimensions, Dimensions);

    public ref sbyte CodeStart(int row) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_chunks[row / ChunkRows]), row % ChunkRows * Dimensions);

    public float Scale(int row) => _scales[row];

    /// <summary>Score of one row for a quantised query (<paramref name="queryScale"/> from <see cref="QuantiseQuery"/>).</summary>
    public float Score(ReadOnlySpan<short> query, float queryScale, int row) =>
        Int8Kernels.Dot(query, ref CodeStart(row)) * queryScale * _scales[row];

    /// <summary>Moves row <paramref name="from"/> to <paramref name="to"/> (compaction, to &lt; from).</summary>
    public void Move(int from, int to)
    {
        Codes(from).CopyTo(Codes(to));
        _scales[to] = _scales[from];
    }

    /// <summary>Keeps the first <paramref name="count"/> rows; frees chunks no longer used.</summary>
    public void Truncate(int count)
    {
        Count = count;
        int chunks = (count + ChunkRows - 1) / ChunkRows;
        _chunks.RemoveRange(chunks, _chunks.Count - chunks);
    }

    /// <summary>The float form of a stored row (code x scale), for clustering.</summary>
    public void Decode(int row, Span<float> destination)
    {
        var codes = Codes(row);
        float scale = _scales[row];
        for (int i = 0; i < codes.Length; i++)
            destination[i] = codes[i] * scale;
    }
}
