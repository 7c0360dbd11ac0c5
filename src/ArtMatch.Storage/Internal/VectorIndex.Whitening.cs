using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>The whitening a <see cref="VectorIndex"/> ranks by, and its whitened copy of the rows.</summary>
internal sealed partial class VectorIndex
{
    /// <summary>Where rows [first, first + count) of the whitened matrix live (only while a whitening is installed).</summary>
    private Memory<float> WhitenedRows(int first, int count) => _whitened.AsMemory((int)((long)first * Dimension), count * Dimension);

    /// <summary>The live rows (views into the matrix, valid until the next write), to learn a whitening from.</summary>
    public IReadOnlyList<ReadOnlyMemory<float>> LiveRows()
    {
        if (_compact is not null)
            throw new InvalidOperationException("A compact index keeps no float rows: learn from the store's vectors.");
        var rows = new List<ReadOnlyMemory<float>>(RowCount);
        for (int row = 0; row < _rows; row++)
        {
            if (_objectAlive[_rowObject[row]] != 0)
                rows.Add(_matrix.AsMemory((int)((long)row * Dimension), Dimension));
        }
        return rows;
    }

    /// <summary>Every row whitened by <paramref name="whitening"/>, laid out as the matrix (slow: the caller keeps writers out, not readers).</summary>
    public float[] WhitenRows(Whitening whitening)
    {
        if (_compact is not null)
            throw new InvalidOperationException("A compact index keeps no float rows to whiten.");
        if (whitening.Dimension != Dimension)
            throw new ArgumentException($"The whitening has {whitening.Dimension} dimensions; the index holds {Dimension}.");
        var rows = new List<ReadOnlyMemory<float>>(_rows);
        for (int row = 0; row < _rows; row++)
            rows.Add(_matrix.AsMemory((int)((long)row * Dimension), Dimension));
        var whitened = new float[_matrix.Length];
        whitening.Apply(rows, whitened);
        return whitened;
    }

    /// <summary>Installs a whitening with the rows <see cref="WhitenRows"/> made for it (no write in between), or removes it.</summary>
    public void SetWhitening(Whitening? whitening, float[]? whitenedRows)
    {
        if (_compact is not null)
            throw new InvalidOperationException("A compact index ranks by the whitening it was made with: build it again from the store's vectors.");
        if ((whitening is null) != (whitenedRows is null) || (whitenedRows is not null && whitenedRows.Length != _matrix.Length))
            throw new ArgumentException("A whitening needs its whitened rows, laid out as the matrix.");
        Whitening = whitening;
        _whitened = whitenedRows;
    }

}
