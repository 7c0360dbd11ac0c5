using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// A row file in the inverted file's list order: once an inverted file is installed over a row file whose
/// rows are in the order they arrived, the file is written again with each list's rows in one contiguous
/// range. The writing runs in the background (<see cref="EmbeddedVectorIndex"/>) in steps: planned under the
/// writer lock (<see cref="BeginListOrder"/>), the rows copied block by block under the reader lock
/// (<see cref="WriteListOrder"/>), so that searches go on and writes wait at most one block, and swapped in
/// under the writer lock (<see cref="FinishListOrder"/>) with the rows added meanwhile appended and the rows
/// deleted meanwhile tombstoned. The new file is written beside the old one (PATH.tmp) and renamed over; the
/// inverted file for it is saved first as PATH.ivf.next, so a process killed at any point leaves a row file
/// and an inverted file of the same layout. A search then reads each probed list's range with one positional
/// read into a pooled buffer instead of touching the mapping: the pages read stay in the kernel's page cache
/// (shared, dropped under memory pressure), not in the process's resident set. Rows added later (and rows of a
/// file not yet in order) are read through the mapping.
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

    // Set when an inverted file was installed or loaded over rows mostly not in its order; cleared when they are.
    private bool _listOrderWanted;

    // While a rewrite is under way: the rows deleted since it was planned (tombstoned in the new file at the swap).
    private List<int>? _killedDuringRewrite;

    /// <summary>Rows in list order at the start of the row file (tests, benchmarks).</summary>
    public int OrderedRows => _orderedRows;

    /// <summary>True when the row file should be written again in list order (<see cref="EmbeddedVectorIndex"/> does it in the background).</summary>
    public bool WantsListOrder => _listOrderWanted && _ivf is not null && _compact?.File is not null && !StorageTestHooks.LeaveRowsUnordered;

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

    /// <summary>After an inverted file is installed or loaded: its list ranges, and whether the rows should be written again in its order.</summary>
    private void CheckListOrder()
    {
        FindListRanges();
        _listOrderWanted = _ivf is not null && _compact?.File is not null && _orderedRows < OrderedShare * _rows;
    }

    /// <summary>Marks a row deleted in the row file, and for a rewrite under way.</summary>
    private void KillRow(int row)
    {
        _compact?.Kill(row);
        _killedDuringRewrite?.Add(row);
    }

    /// <summary>Under the writer lock: the rewrite of rows [0, now) in list order, its new file begun; null when none is wanted.</summary>
    public ListOrderRewrite? BeginListOrder()
    {
        if (!WantsListOrder)
            return null;
        var ivf = _ivf!;
        var counts = new int[ivf.Count + 1];
        for (int row = 0; row < _rows; row++)
            counts[_rowList[row] + 1]++;
        for (int l = 0; l < ivf.Count; l++)
            counts[l + 1] += counts[l];
        var order = new int[_rows];   // new position -> old row
        for (int row = 0; row < _rows; row++)
            order[counts[_rowList[row]]++] = row;
        var source = _compact!.File!;
        var target = RowFile.Create(source.Path + ".tmp", _compact.Dimensions, _compact.Fingerprint);
        _killedDuringRewrite = [];
        return new ListOrderRewrite(_generation, ivf, source, target, order);
    }

    /// <summary>Under the reader lock: copies rows [start, end) of the new order into the new file; false when the rows moved meanwhile.</summary>
    public bool WriteListOrder(ListOrderRewrite rewrite, int start, int end)
    {
        if (!IsCurrent(rewrite))
            return false;
        var (source, target) = (rewrite.Source, rewrite.Target);
        for (int i = start; i < end; i++)
        {
            target.AppendCopy(source, rewrite.Order[i], source.Key(rewrite.Order[i]));
            if ((i + 1) % RowFile.SegmentRows == 0)
                target.Publish();
        }
        return true;
    }

    private bool IsCurrent(ListOrderRewrite rewrite) =>
        rewrite.Generation == _generation && ReferenceEquals(rewrite.Ivf, _ivf) && ReferenceEquals(rewrite.Source, _compact?.File);

    /// <summary>
    /// Under the writer lock, after every planned row was written and flushed: the rows added since appended,
    /// those deleted since tombstoned, the new file's inverted file saved, the file renamed over the row file
    /// and every row's bookkeeping moved with it. False (the new file dropped) when the rows moved meanwhile.
    /// </summary>
    public bool FinishListOrder(ListOrderRewrite rewrite)
    {
        var killed = _killedDuringRewrite;
        _killedDuringRewrite = null;
        if (!IsCurrent(rewrite) || killed is null)
        {
            rewrite.Drop();
            return false;
        }
        var (source, target, planned) = (rewrite.Source, rewrite.Target, rewrite.Order);
        var order = new int[_rows];   // new position -> old row: the planned ones, then those added since as they came
        planned.CopyTo(order, 0);
        var position = new int[planned.Length];
        for (int i = 0; i < planned.Length; i++)
            position[planned[i]] = i;
        for (int row = planned.Length; row < _rows; row++)
        {
            order[row] = row;
            target.AppendCopy(source, row, source.Key(row));
        }
        foreach (int row in killed)
        {
            if (row < planned.Length)
                target.Kill(position[row]);
        }
        MoveRows(order, rewrite);
        return true;
    }

    /// <summary>Under the writer lock: drops a rewrite that will not be finished (the store closing, or an error).</summary>
    public void AbandonListOrder(ListOrderRewrite rewrite)
    {
        if (IsCurrent(rewrite))
            _killedDuringRewrite = null;
        rewrite.Drop();
    }

    /// <summary>The new file takes the row file's name (its inverted file saved first) and every row's bookkeeping moves with it.</summary>
    private void MoveRows(int[] order, ListOrderRewrite rewrite)
    {
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
        var ivf = rewrite.Ivf;
        var target = rewrite.Target;
        // Before the new rows take the file's name: an inverted file for them, found by opening (LoadIvf) if the rename happens and the next step not.
        IvfFile.WriteSnapshot(ivfPath + ".next", target.Layout, ivf, rowList.AsSpan(0, _rows));
        rewrite.Renamed = true;
        target.Rename(rewrite.Source.Path);   // publishes and flushes: only the rows added since the rewrite's own flush
        _compact!.ReplaceFile(target);
        StorageTestHooks.RowsReordered?.Invoke(target.Path);
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
        FindListRanges();
        _listOrderWanted = false;
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
