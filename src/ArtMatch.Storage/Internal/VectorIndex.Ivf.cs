using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// The approximate search of a compact <see cref="VectorIndex"/>: an <see cref="IvfLists"/> learned in
/// the background (<see cref="EmbeddedVectorIndex"/> drives it in steps: sample, assign blocks, install),
/// new rows added to their nearest list as they come, deleted rows skipped until a compaction, after
/// which the lists are filled again from each row's remembered list.
/// </summary>
internal sealed partial class VectorIndex
{
    private IvfLists? _ivf;
    // Invariant: with _ivf set, _rowList[row] is the list holding row, for rows [0, _rows).
    private int[] _rowList = new int[1024];
    // Changes whenever rows move (compaction): work begun on the old positions is dropped.
    private int _generation;

    /// <summary>Lists scanned per query at least (of <see cref="IvfLists.Count"/>).</summary>
    public int Probes { get; set; } = 16;

    /// <summary>Share of the lists scanned per query when that is more than <see cref="Probes"/>.</summary>
    public double ProbedListShare { get; set; }

    /// <summary>Lists a query scans now: <see cref="Probes"/>, or <see cref="ProbedListShare"/> of them when more.</summary>
    public int ProbedLists => _ivf is null ? 0 : Math.Min(_ivf.Count, Math.Max(Probes, (int)Math.Ceiling(_ivf.Count * ProbedListShare)));

    /// <summary>From this many live rows on, a compact index is searched through the inverted file.</summary>
    public int ApproximateAboveRows { get; set; } = 200_000;

    public int Generation => _generation;

    /// <summary>Rows held, deleted ones included until a compaction.</summary>
    public int StoredRows => _rows;

    public bool HasIvf => _ivf is not null;

    public int IvfLists => _ivf?.Count ?? 0;

    /// <summary>True when an inverted file should be learned: compact, large enough, and none yet or learned from fewer than half the rows.</summary>
    public bool WantsIvf => _compact is not null && RowCount >= ApproximateAboveRows && (_ivf is null || _rows > 2L * _ivf.TrainedRows);

    /// <summary>Up to <paramref name="max"/> live rows evenly spaced, decoded to float (row-major), to learn centroids from.</summary>
    public float[] IvfSample(int max)
    {
        var compact = _compact!;
        int dim = compact.Dimensions;
        int stride = Math.Max(1, (_rows + max - 1) / max);
        var picked = new List<int>();
        for (int row = 0; row < _rows; row += stride)
        {
            if (_objectAlive[_rowObject[row]] != 0)
                picked.Add(row);
        }
        var sample = new float[picked.Count * dim];
        for (int i = 0; i < picked.Count; i++)
            DecodeUnit(picked[i], sample.AsSpan(i * dim, dim));
        return sample;
    }

    private void DecodeUnit(int row, Span<float> destination)
    {
        _compact!.Decode(row, destination);
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(destination);
        if (norm > 0)
            System.Numerics.Tensors.TensorPrimitives.Divide(destination, norm, destination);
    }

    /// <summary>The list of each row in [start, end) by <paramref name="ivf"/> (reads rows only; callers hold the reader lock).</summary>
    public int[] AssignRows(IvfLists ivf, int start, int end)
    {
        var lists = new int[Math.Max(0, end - start)];
        int dim = _compact!.Dimensions;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(start, end, 512), new ParallelOptions { MaxDegreeOfParallelism = MaxParallelism }, range =>
        {
            var row = new float[dim];
            for (int r = range.Item1; r < range.Item2; r++)
            {
                DecodeUnit(r, row);
                lists[r - start] = ivf.Nearest(row);
            }
        });
        return lists;
    }

    /// <summary>
    /// Installs <paramref name="ivf"/> with <paramref name="lists"/> for rows [0, lists.Length) assigned at
    /// <paramref name="generation"/>; rows added since are assigned here. False (nothing changes) when rows
    /// moved meanwhile. With a row file, the inverted file is saved beside it and the build's progress deleted.
    /// </summary>
    public bool InstallIvf(IvfLists ivf, int[] lists, int generation)
    {
        if (generation != _generation || _compact is null || lists.Length > _rows)
            return false;
        Install(ivf, lists);
        CheckListOrder();
        SaveIvf();
        if (IvfBuildPath is { } progress)
            File.Delete(progress);
        return true;
    }

    private void Install(IvfLists ivf, int[] lists)
    {
        if (_rows > lists.Length)
        {
            var rest = AssignRows(ivf, lists.Length, _rows);
            lists = [.. lists, .. rest];
        }
        for (int row = 0; row < _rows; row++)
        {
            _rowList[row] = lists[row];
            ivf.Add(lists[row], row);
        }
        _ivf = ivf;
    }

    /// <summary>The final path of the row file (null: rows in memory, nothing saved).</summary>
    private string? _rowFilePath;
    // Rows and layout of the last saved inverted file: saved again when either changed.
    private (int Rows, ulong Layout) _ivfSaved;

    private string? IvfPath => _rowFilePath is null ? null : _rowFilePath + ".ivf";

    private string? IvfBuildPath => _rowFilePath is null ? null : _rowFilePath + ".ivf.build";

    private ulong Layout => _compact?.File?.Layout ?? 0;

    /// <summary>Saves the inverted file and every row's list beside the row file (temp file + rename), unless saved as it is.</summary>
    public void SaveIvf()
    {
        if (_ivf is null || IvfPath is not { } path || _compact?.File is null || _ivfSaved == (_rows, Layout))
            return;
        IvfFile.WriteSnapshot(path, Layout, _ivf, _rowList.AsSpan(0, _rows));
        _ivfSaved = (_rows, Layout);
    }

    /// <summary>Installs the inverted file saved beside the row file, if it was saved for these rows' positions; rows added since are assigned.</summary>
    private bool LoadIvf()
    {
        if (IvfPath is not { } path || _compact?.File is null)
            return false;
        // PATH.ivf.next: saved for a list-ordered row file that was renamed into place by a process stopped before it renamed this.
        var saved = IvfFile.Read(path, Layout, _compact.Dimensions) ?? IvfFile.Read(path + ".next", Layout, _compact.Dimensions);
        if (saved is not { } found || found.Lists.Length > _rows)
            return false;
        Install(found.Ivf, found.Lists);
        _ivfSaved = File.Exists(path + ".next") ? default : (found.Lists.Length, Layout);
        CheckListOrder();
        SaveIvf();
        File.Delete(path + ".next");
        return true;
    }

    /// <summary>A background build's progress left by a process that stopped: its centroids and the lists of the rows it had assigned.</summary>
    public (IvfLists Ivf, int[] Lists)? ResumeIvfBuild()
    {
        if (IvfBuildPath is not { } path || _compact?.File is null)
            return null;
        var found = IvfFile.Read(path, Layout, _compact.Dimensions);
        return found is { } f && f.Lists.Length <= _rows ? (f.Ivf, f.Lists) : null;
    }

    /// <summary>Where a background build records its progress (null with the rows in memory): new, or continued after <paramref name="assigned"/> rows.</summary>
    public IvfFile? RecordIvfBuild(IvfLists ivf, int assigned)
    {
        if (IvfBuildPath is not { } path || _compact?.File is null)
            return null;
        if (assigned == 0)
            return IvfFile.Create(path, Layout, ivf);
        var found = IvfFile.Read(path, Layout, _compact.Dimensions, keepOpen: true);
        if (found?.Open is { } open && open.Rows == assigned)
            return open;
        found?.Open?.Dispose();
        return null;   // the progress changed since it was read: the build goes on without recording it
    }

    /// <summary>New compact rows [first, _rows) join their lists.</summary>
    private void AssignNewRows(int first)
    {
        if (_ivf is null)
            return;
        var lists = AssignRows(_ivf, first, _rows);
        for (int row = first; row < _rows; row++)
        {
            _rowList[row] = lists[row - first];
            _ivf.Add(lists[row - first], row);
        }
    }

    private void RefillLists()
    {
        _generation++;
        if (_ivf is null)
            return;
        _ivf.Clear();
        for (int row = 0; row < _rows; row++)
            _ivf.Add(_rowList[row], row);
        FindListRanges();
        SaveIvf();   // the rows moved (a new row file): the saved lists are of the old positions
    }

    /// <summary>Scores the rows of the lists <paramref name="probed"/>[from..to) for one query.</summary>
    private void ScanLists((short[] Codes, float Scale) query, int[] probed, int from, int to, byte[] allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        var compact = _compact!;
        if (_orderedRows > 0)
        {
            var buffer = RentReadBuffer();
            try
            {
                for (int p = from; p < to; p++)
                    ScanListRange(query, probed[p], buffer, allowed, wholeImagesOnly, best, bestRow);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
            return;
        }
        for (int p = from; p < to; p++)
        {
            foreach (int row in _ivf!.Rows(probed[p]))
            {
                int ordinal = _rowObject[row];
                if (allowed[ordinal] == 0 || (wholeImagesOnly && _rowRegion[row] != 0))
                    continue;
                Offer(best, bestRow, ordinal, row, Int8Kernels.Dot(query.Codes, ref compact.CodeStart(row)) * query.Scale * compact.Scale(row));
            }
        }
    }

    /// <summary>Each query through the inverted file: its <see cref="Probes"/> best lists, split over up to <paramref name="parts"/> threads.</summary>
    private void SearchLists(IReadOnlyList<float[]> queries, (short[] Codes, float Scale)[] prepared, int parts, byte[] allowed, bool wholeImagesOnly, float[][] best, int[][] bestRow, int objects)
    {
        for (int j = 0; j < queries.Count; j++)
        {
            var probed = _ivf!.Probe(_compact!.Project(queries[j]), ProbedLists);
            if (parts == 1)
            {
                ScanLists(prepared[j], probed, 0, probed.Length, allowed, wholeImagesOnly, best[j], bestRow[j]);
                continue;
            }
            // One query (parts > 1 only then): each thread takes every parts-th list into its own bests.
            var partBest = new float[parts][];
            var partRow = new int[parts][];
            partBest[0] = best[0];
            partRow[0] = bestRow[0];
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                if (part > 0)
                    (partBest[part], partRow[part]) = RentBest(objects);
                int per = (probed.Length + parts - 1) / parts;
                ScanLists(prepared[j], probed, part * per, Math.Min(probed.Length, (part + 1) * per), allowed, wholeImagesOnly, partBest[part], partRow[part]);
            });
            MergeParts(partBest, partRow, parts, objects);
            for (int part = 1; part < parts; part++)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(partBest[part]);
                System.Buffers.ArrayPool<int>.Shared.Return(partRow[part]);
            }
        }
    }
}
