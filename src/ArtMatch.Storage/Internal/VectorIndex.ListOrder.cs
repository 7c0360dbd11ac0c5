using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// A row file in the inverted file's list order: once an inverted file is installed over a row file whose
/// rows are in the order they arrived, the file is written again with each list's rows in one contiguous
/// range (a new file beside it, renamed over; the inverted file for it is saved first as PATH.ivf.next, so a
/// process killed at any point leaves a row file and an inverted file of the same layout). A search then reads
/// each probed list's range with one positional read into a pooled buffer instead of touching the mapping:
/// the pages read stay in the kernel's page cache (shared, dropped under memory pressure), not in the
/// process's resident set. Rows added later (and rows of a file not yet in order) are read through the mapping.
/// </summary>
internal sealed partial class VectorIndex
{
    /// <summary>Rows per positional read (bounds the pooled buffer).</summary>
    private const int ReadRows = 2048;

    // Rows [0, _orderedRows) are in list order: list l's rows there are [_listStart[l], _listStart[l] + _listOrdered[l]).
    private int _orderedRows;
    private int[] _listStart = [];
    private int[] _listOrdered = [];

    /// <summary>Share of the rows that must be in list order for the positional reads; below it, the file is written again in order.</summary>
    private const double OrderedShare = 0.9;

    /// <summary>Rows in list order at the start of the row file (tests, benchmarks).</summary>
    public int OrderedRows => _orderedRows;

    /// <summary>Finds the rows in list order at the start (the longest prefix whose lists never decrease) and each list's range in it.</summary>
    private void FindListRanges()
    {
        _orderedRows = 0;
        if (_ivf is null || _compact?.File is null)
            return;
        int prefix = 0;
        while (prefix < _rows && (prefix == 0 || _rowList[prefix] >= _rowList[prefix - 1]))
            prefix++;
        _listStart = new int[_ivf.Count];
        _listOrdered = new int[_ivf.Count];
        for (int row = prefix - 1; row >= 0; row--)
        {
            _listStart[_rowList[row]] = row;
            _listOrdered[_rowList[row]]++;
        }
        _orderedRows = prefix;
    }

    /// <summary>With a row file and an inverted file whose rows are mostly not in list order: writes the file again in list order.</summary>
    private void OrderByListsIfNeeded()
    {
        FindListRanges();
        if (_ivf is null || _compact?.File is null || _orderedRows >= OrderedShare * _rows || StorageTestHooks.LeaveRowsUnordered)
            return;
        OrderByLists();
        FindListRanges();
    }

    /// <summary>Moves every row to its list's range (a new row file renamed over the old) and its bookkeeping with it.</summary>
    private void OrderByLists()
    {
        var ivf = _ivf!;
        var counts = new int[ivf.Count + 1];
        for (int row = 0; row < _rows; row++)
            counts[_rowList[row] + 1]++;
        for (int l = 0; l < ivf.Count; l++)
            counts[l + 1] += counts[l];
        var order = new int[_rows];   // new position -> old row
        for (int row = 0; row < _rows; row++)
            order[counts[_rowList[row]]++] = row;

        var rowObject = new int[_rowObject.Length];
        var rowImage = new int[_rowImage.Length];
        var rowRegion = new int[_rowRegion.Length];
        var rowList = new int[_rowList.Length];
        for (int i = 0; i < _rows; i++)
        {
            int old = order[i];
            rowObject[i] = _rowObject[old];
            rowImage[i] = _rowImage[old];
            rowRegion[i] = _rowRegion[old];
            rowList[i] = _rowList[old];
        }
        string ivfPath = IvfPath!;
        var compact = _compact!;
        compact.Reorder(order, layout =>
        {
            // Before the new rows take the file's name: an inverted file for them, found by opening (LoadIvf) if the rename happens and the next step not.
            IvfFile.WriteSnapshot(ivfPath + ".next", layout, ivf, rowList.AsSpan(0, _rows));
        });
        StorageTestHooks.RowsReordered?.Invoke(compact.File!.Path);
        File.Move(ivfPath + ".next", ivfPath, overwrite: true);
        _ivfSaved = (_rows, Layout);

        (_rowObject, _rowImage, _rowRegion, _rowList) = (rowObject, rowImage, rowRegion, rowList);
        for (int o = 0; o < _objectSlots; o++)
            _objectRows[o].Clear();
        for (int row = 0; row < _rows; row++)
            _objectRows[_rowObject[row]].Add(row);
        ivf.Clear();
        for (int row = 0; row < _rows; row++)
            ivf.Add(_rowList[row], row);
        _generation++;
    }

    /// <summary>
    /// Scores list <paramref name="list"/>'s rows for one query: its range in list order with positional reads
    /// into <paramref name="buffer"/>, the rows added after it through the mapping.
    /// </summary>
    private void ScanListRange((short[] Codes, float Scale) query, int list, byte[] buffer, byte[] allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        var file = _compact!.File!;
        int recordBytes = file.RecordBytes, dims = _compact.Dimensions;
        int start = _listStart[list], ordered = _listOrdered[list];
        for (int done = 0; done < ordered;)
        {
            int count = Math.Min(ReadRows, ordered - done);
            file.ReadRecords(start + done, count, buffer.AsSpan(0, count * recordBytes));
            for (int k = 0; k < count; k++)
            {
                int row = start + done + k;
                int ordinal = _rowObject[row];
                if (allowed[ordinal] == 0 || (wholeImagesOnly && _rowRegion[row] != 0))
                    continue;
                ref byte record = ref buffer[k * recordBytes];
                float scale = Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref record, dims));
                Offer(best, bestRow, ordinal, row, Int8Kernels.Dot(query.Codes, ref Unsafe.As<byte, sbyte>(ref record)) * query.Scale * scale);
            }
            done += count;
        }
        var rest = _ivf!.Rows(list)[ordered..];
        foreach (int row in rest)
        {
            int ordinal = _rowObject[row];
            if (allowed[ordinal] == 0 || (wholeImagesOnly && _rowRegion[row] != 0))
                continue;
            Offer(best, bestRow, ordinal, row, Int8Kernels.Dot(query.Codes, ref _compact.CodeStart(row)) * query.Scale * _compact.Scale(row));
        }
    }

    private byte[] RentReadBuffer() => ArrayPool<byte>.Shared.Rent(ReadRows * (_compact!.Dimensions + sizeof(float)));
}
