using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// An inverted file (<see cref="IvfLists"/>) on disk beside the row file, with the list of each row of that
/// row file's layout (<see cref="RowFile.Layout"/>): so that opening a large store installs it instead of
/// learning it again. Two uses of one format: the snapshot (PATH, written to PATH.tmp and renamed over; all
/// rows' lists at the time) and the progress of a background build (PATH.build: the centroids learned, then
/// the rows' lists appended a block at a time, the header counting them after each block), which a process
/// killed mid-way continues on its next opening. Layout: a 64-byte header (magic, version, dimensions, row
/// file layout, rows trained from, lists, coarse centroids, rows listed, XxHash64 of the body, XxHash64 of
/// the header), the body (centroids, coarse centroids, each coarse centroid's lists), then an int32 list a row.
/// </summary>
internal sealed class IvfFile : IDisposable
{
    private const ulong Magic = 0x31_30_30_46_56_49_4D_41;   // "AMIVF001"
    private const int Version = 1;
    private const int HeaderBytes = 64;

    private readonly FileStream _stream;
    private readonly byte[] _header;
    private readonly long _listsAt;

    private IvfFile(FileStream stream, byte[] header, long listsAt, int rows)
    {
        _stream = stream;
        _header = header;
        _listsAt = listsAt;
        Rows = rows;
    }

    /// <summary>Rows whose lists the file holds.</summary>
    public int Rows { get; private set; }

    /// <summary>Writes the snapshot of <paramref name="ivf"/> with <paramref name="lists"/> (one a row) to PATH.tmp, flushed, renamed over PATH.</summary>
    public static void WriteSnapshot(string path, ulong layout, IvfLists ivf, ReadOnlySpan<int> lists)
    {
        string temporary = path + ".tmp";
        using (var file = Create(temporary, layout, ivf))
        {
            file.Append(lists);
            file._stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A new file at <paramref name="path"/> holding the centroids and no row yet (a build's progress).</summary>
    public static IvfFile Create(string path, ulong layout, IvfLists ivf)
    {
        var body = Body(ivf);
        var header = new byte[HeaderBytes];
        BitConverter.TryWriteBytes(header.AsSpan(0), Magic);
        BitConverter.TryWriteBytes(header.AsSpan(8), Version);
        BitConverter.TryWriteBytes(header.AsSpan(12), ivf.Dimensions);
        BitConverter.TryWriteBytes(header.AsSpan(16), layout);
        BitConverter.TryWriteBytes(header.AsSpan(24), (long)ivf.TrainedRows);
        BitConverter.TryWriteBytes(header.AsSpan(32), ivf.Count);
        BitConverter.TryWriteBytes(header.AsSpan(36), ivf.Parts.LeavesOfCoarse.Length);
        BitConverter.TryWriteBytes(header.AsSpan(48), XxHash64.HashToUInt64(body));
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        var file = new IvfFile(stream, header, HeaderBytes + body.Length, 0);
        stream.Position = HeaderBytes;
        stream.Write(body);
        file.WriteHeader();
        return file;
    }

    /// <summary>Appends the lists of the next rows, then counts them in the header.</summary>
    public void Append(ReadOnlySpan<int> lists)
    {
        _stream.Position = _listsAt + (long)Rows * sizeof(int);
        _stream.Write(MemoryMarshal.AsBytes(lists));
        Rows += lists.Length;
        WriteHeader();
    }

    private void WriteHeader()
    {
        BitConverter.TryWriteBytes(_header.AsSpan(40), (long)Rows);
        BitConverter.TryWriteBytes(_header.AsSpan(56), XxHash64.HashToUInt64(_header.AsSpan(0, 56)));
        _stream.Position = 0;
        _stream.Write(_header);
        _stream.Flush();
    }

    /// <summary>
    /// The inverted file at <paramref name="path"/> and the lists of its first rows, when it is whole and was
    /// made for <paramref name="layout"/> and <paramref name="dimensions"/>; null otherwise. With
    /// <paramref name="keepOpen"/>, the file is also returned open to append to (a build continued).
    /// </summary>
    public static (IvfLists Ivf, int[] Lists, IvfFile? Open)? Read(string path, ulong layout, int dimensions, bool keepOpen = false)
    {
        if (!File.Exists(path))
            return null;
        var stream = new FileStream(path, FileMode.Open, keepOpen ? FileAccess.ReadWrite : FileAccess.Read, keepOpen ? FileShare.None : FileShare.Read);
        bool handedOver = false;
        try
        {
            var header = new byte[HeaderBytes];
            if (stream.Length < HeaderBytes || stream.Read(header) != HeaderBytes)
                return null;
            if (BitConverter.ToUInt64(header, 0) != Magic || BitConverter.ToInt32(header, 8) != Version
                || XxHash64.HashToUInt64(header.AsSpan(0, 56)) != BitConverter.ToUInt64(header, 56)
                || BitConverter.ToInt32(header, 12) != dimensions || BitConverter.ToUInt64(header, 16) != layout)
                return null;
            long trained = BitConverter.ToInt64(header, 24), rows = BitConverter.ToInt64(header, 40);
            int lists = BitConverter.ToInt32(header, 32), coarse = BitConverter.ToInt32(header, 36);
            if (lists < 1 || coarse < 1 || lists > 1 << 24 || coarse > lists || rows < 0 || rows > int.MaxValue)
                return null;
            long fixedBody = ((long)lists + coarse) * dimensions * sizeof(float) + coarse * sizeof(int) + (long)lists * sizeof(int);
            if (stream.Length < HeaderBytes + fixedBody + rows * sizeof(int))
                return null;
            var body = new byte[fixedBody];
            stream.ReadExactly(body);
            if (XxHash64.HashToUInt64(body) != BitConverter.ToUInt64(header, 48))
                return null;
            var ivf = Parse(body, dimensions, lists, coarse, (int)Math.Min(int.MaxValue, trained));
            if (ivf is null)
                return null;
            var rowLists = new int[rows];
            stream.ReadExactly(MemoryMarshal.AsBytes(rowLists.AsSpan()));
            if (rowLists.Any(l => l < 0 || l >= lists))
                return null;
            IvfFile? open = null;
            if (keepOpen)
            {
                open = new IvfFile(stream, header, HeaderBytes + fixedBody, (int)rows);
                handedOver = true;
            }
            return (ivf, rowLists, open);
        }
        finally
        {
            if (!handedOver)
                stream.Dispose();
        }
    }

    private static byte[] Body(IvfLists ivf)
    {
        var (centroids, coarse, leaves) = ivf.Parts;
        var body = new List<byte>();
        body.AddRange(MemoryMarshal.AsBytes(centroids.AsSpan()).ToArray());
        body.AddRange(MemoryMarshal.AsBytes(coarse.AsSpan()).ToArray());
        body.AddRange(MemoryMarshal.AsBytes(leaves.Select(l => l.Length).ToArray().AsSpan()).ToArray());
        body.AddRange(MemoryMarshal.AsBytes(leaves.SelectMany(l => l).ToArray().AsSpan()).ToArray());
        return body.ToArray();
    }

    /// <summary>The centroids of a body (null when its lists of coarse centroids do not add up).</summary>
    private static IvfLists? Parse(byte[] body, int dimensions, int lists, int coarse, int trained)
    {
        int at = 0;
        var centroids = MemoryMarshal.Cast<byte, float>(body.AsSpan(at, lists * dimensions * sizeof(float))).ToArray();
        at += lists * dimensions * sizeof(float);
        var coarseCentroids = MemoryMarshal.Cast<byte, float>(body.AsSpan(at, coarse * dimensions * sizeof(float))).ToArray();
        at += coarse * dimensions * sizeof(float);
        var counts = MemoryMarshal.Cast<byte, int>(body.AsSpan(at, coarse * sizeof(int))).ToArray();
        at += coarse * sizeof(int);
        var ids = MemoryMarshal.Cast<byte, int>(body.AsSpan(at, lists * sizeof(int))).ToArray();
        if (counts.Any(c => c < 0) || counts.Sum(c => (long)c) != lists || ids.Any(id => id < 0 || id >= lists))
            return null;
        var leaves = new int[coarse][];
        int next = 0;
        for (int c = 0; c < coarse; c++)
        {
            leaves[c] = ids[next..(next + counts[c])];
            next += counts[c];
        }
        return IvfLists.FromParts(dimensions, centroids, coarseCentroids, leaves, trained);
    }

    public void Dispose() => _stream.Dispose();
}
