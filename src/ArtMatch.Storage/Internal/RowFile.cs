using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// Compact rows (<see cref="CompactRows"/>) in a memory-mapped file beside the store: a cache of what
/// SQLite holds, never the truth. Opening maps the file instead of reading it, so the resident set is the
/// pages searches touch. Layout: a 4 KB header (magic, version, dimensions, the fingerprint of the
/// whitening the rows were projected with, the rows written, an XxHash64 of the rest of the header), then
/// segments of <see cref="SegmentRows"/> rows: first every row's int8 codes and float scale, then every
/// row's key (the SQLite rowid of its vector; <see cref="Tombstone"/> once deleted), so that reading the
/// keys on opening touches one page in 66 of the file. Written append-only: a row is written, then the
/// header's count; a process killed between the two leaves rows past the count, ignored. Deletes write a
/// tombstone over the key. A rebuild (compaction, a new whitening) writes a new file beside it and renames
/// it over (<see cref="Write"/>). Held with an exclusive lock: another process opening the same store gets
/// <see cref="IOException"/> and keeps its rows in memory. Not thread-safe: the vector index's locks guard it.
/// </summary>
internal sealed unsafe class RowFile : IDisposable
{
    public const int HeaderBytes = 4096;
    public const int SegmentRows = 1 << 16;
    public const long Tombstone = -1;

    private const ulong Magic = 0x31_30_53_57_4F_52_4D_41;   // "AMROWS01"
    private const int Version = 2;
    private const int ChecksumAt = HeaderBytes - sizeof(ulong);

    private readonly FileStream _stream;
    private readonly MemoryMappedFile _headerMap;
    private readonly MemoryMappedViewAccessor _headerView;
    private readonly byte* _header;
    private readonly List<(MemoryMappedFile Map, MemoryMappedViewAccessor View, IntPtr Start)> _segments = [];
    private bool _disposed;

    private RowFile(string path, FileStream stream, int dimensions, ulong fingerprint, ulong layout)
    {
        Layout = layout;
        Path = path;
        _stream = stream;
        Dimensions = dimensions;
        Fingerprint = fingerprint;
        RecordBytes = dimensions + sizeof(float);
        SegmentBytes = (long)SegmentRows * (RecordBytes + sizeof(long));
        if (_stream.Length < HeaderBytes)
            _stream.SetLength(HeaderBytes);
        _headerMap = MemoryMappedFile.CreateFromFile(_stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _headerView = _headerMap.CreateViewAccessor(0, HeaderBytes);
        byte* pointer = null;
        _headerView.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _header = pointer + _headerView.PointerOffset;
    }

    public string Path { get; private set; }

    public int Dimensions { get; }

    /// <summary>Of the whitening (and model dimension) the rows were projected with: another one means the rows are stale.</summary>
    public ulong Fingerprint { get; }

    /// <summary>
    /// Drawn anew whenever a file is created (a rebuild, a compaction): the positions of its rows. An inverted
    /// file saved with another layout lists rows that are elsewhere now.
    /// </summary>
    public ulong Layout { get; }

    /// <summary>Bytes of one row's codes and scale.</summary>
    public int RecordBytes { get; }

    private long SegmentBytes { get; }

    /// <summary>Rows written (deleted ones included).</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of the file on disk (allocated segments; the last one may be sparse).</summary>
    public long FileBytes => _stream.Length;

    /// <summary>
    /// Opens the row file at <paramref name="path"/> when it holds rows of <paramref name="dimensions"/>
    /// projected with <paramref name="fingerprint"/> and its header is whole; null when it is missing, stale
    /// or damaged (the caller writes it again from SQLite).
    /// </summary>
    public static RowFile? Open(string path, int dimensions, ulong fingerprint)
    {
        if (!File.Exists(path))
            return null;
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        try
        {
            if (stream.Length < HeaderBytes)
            {
                stream.Dispose();
                return null;
            }
            var header = new byte[HeaderBytes];
            stream.ReadExactly(header);
            var fields = MemoryMarshal.Cast<byte, long>(header.AsSpan(0, 48));
            bool whole = (ulong)fields[0] == Magic && XxHash64.HashToUInt64(header.AsSpan(0, ChecksumAt)) == BitConverter.ToUInt64(header, ChecksumAt);
            int version = BitConverter.ToInt32(header, 8), dims = BitConverter.ToInt32(header, 12), segmentRows = BitConverter.ToInt32(header, 16);
            long count = fields[3];
            ulong stored = (ulong)fields[4], layout = (ulong)fields[5];
            if (!whole || version != Version || dims != dimensions || segmentRows != SegmentRows || stored != fingerprint || count < 0 || count > int.MaxValue)
            {
                stream.Dispose();
                return null;
            }
            var file = new RowFile(path, stream, dimensions, fingerprint, layout);
            if (stream.Length < file.End((int)count))
            {
                file.Dispose();
                return null;
            }
            file.MapUpTo((int)count);
            file.Count = (int)count;
            return file;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>A new, empty row file at <paramref name="path"/> (replacing any file there).</summary>
    public static RowFile Create(string path, int dimensions, ulong fingerprint)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        var file = new RowFile(path, stream, dimensions, fingerprint, (ulong)Random.Shared.NextInt64(1, long.MaxValue));
        file.Publish();
        return file;
    }

    /// <summary>
    /// Writes a whole new row file: <paramref name="fill"/> appends to a temporary file beside
    /// <paramref name="path"/>, which is flushed to disk and renamed over it, then opened. A process killed
    /// meanwhile leaves the old file (or none) and a temporary one, removed the next time.
    /// </summary>
    public static RowFile Write(string path, int dimensions, ulong fingerprint, Action<RowFile> fill)
    {
        string temporary = path + ".tmp";
        using (var file = Create(temporary, dimensions, fingerprint))
        {
            fill(file);
            file.Publish();
            file.FlushToDisk();
        }
        File.Move(temporary, path, overwrite: true);
        return Open(path, dimensions, fingerprint) ?? throw new IOException($"The row file {path} just written does not open.");
    }

    /// <summary>The fingerprint of rows projected with <paramref name="projection"/> and <paramref name="mean"/> to <paramref name="dimensions"/>.</summary>
    public static ulong FingerprintOf(ReadOnlySpan<float> mean, ReadOnlySpan<float> projection, int dimensions)
    {
        var hash = new XxHash64();
        hash.Append(BitConverter.GetBytes(dimensions));
        hash.Append(MemoryMarshal.AsBytes(mean));
        hash.Append(MemoryMarshal.AsBytes(projection));
        return hash.GetCurrentHashAsUInt64();
    }

    private long SegmentStart(int segment) => HeaderBytes + segment * SegmentBytes;

    private long End(int rows) => rows == 0 ? HeaderBytes : SegmentStart((rows - 1) / SegmentRows) + SegmentBytes;

    private void MapUpTo(int rows)
    {
        int segments = (rows + SegmentRows - 1) / SegmentRows;
        while (_segments.Count < segments)
        {
            int segment = _segments.Count;
            long end = SegmentStart(segment) + SegmentBytes;
            if (_stream.Length < end)
                _stream.SetLength(end);   // sparse until written
            var map = MemoryMappedFile.CreateFromFile(_stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            var view = map.CreateViewAccessor(SegmentStart(segment), SegmentBytes);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _segments.Add((map, view, (IntPtr)(pointer + view.PointerOffset)));
        }
    }

    /// <summary>The first byte of row <paramref name="row"/>'s codes (its scale follows them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Record(int row) => (byte*)_segments[row / SegmentRows].Start + (long)(row % SegmentRows) * RecordBytes;

    private long* KeyAt(int row) => (long*)((byte*)_segments[row / SegmentRows].Start + (long)SegmentRows * RecordBytes) + row % SegmentRows;

    public float Scale(int row) => Unsafe.ReadUnaligned<float>(Record(row) + Dimensions);

    public long Key(int row) => *KeyAt(row);

    /// <summary>Marks a row deleted (its vector is gone from SQLite; opening would find that too).</summary>
    public void Kill(int row) => *KeyAt(row) = Tombstone;

    /// <summary>
    /// Space for the next row: its codes, to be filled, then <see cref="Appended"/>. Rows appended are not
    /// counted in the header until <see cref="Publish"/>.
    /// </summary>
    public Span<sbyte> NextCodes()
    {
        MapUpTo(Count + 1);
        return new Span<sbyte>(Record(Count), Dimensions);
    }

    /// <summary>Completes the row begun with <see cref="NextCodes"/>.</summary>
    public void Appended(float scale, long key)
    {
        Unsafe.WriteUnaligned(Record(Count) + Dimensions, scale);
        *KeyAt(Count) = key;
        Count++;
    }

    /// <summary>Appends a row copied from another row file of the same layout.</summary>
    public void AppendCopy(RowFile source, int row, long key)
    {
        new ReadOnlySpan<byte>(source.Record(row), RecordBytes).CopyTo(new Span<byte>((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(NextCodes())), RecordBytes));
        *KeyAt(Count) = key;
        Count++;
    }

    /// <summary>
    /// Reads the codes and scales of rows [<paramref name="first"/>, first + <paramref name="count"/>) into
    /// <paramref name="destination"/> (<see cref="RecordBytes"/> each) with positional reads, not the mapping:
    /// the pages go through the kernel's page cache without joining this process's resident set. Thread-safe.
    /// </summary>
    public void ReadRecords(int first, int count, Span<byte> destination)
    {
        while (count > 0)
        {
            int segment = first / SegmentRows, within = first % SegmentRows;
            int rows = Math.Min(count, SegmentRows - within);
            var part = destination[..(rows * RecordBytes)];
            long offset = SegmentStart(segment) + (long)within * RecordBytes;
            while (part.Length > 0)
            {
                int read = RandomAccess.Read(_stream.SafeFileHandle, part, offset);
                if (read <= 0)
                    throw new EndOfStreamException($"The row file {Path} ends before row {first + rows}.");
                part = part[read..];
                offset += read;
            }
            destination = destination[(rows * RecordBytes)..];
            first += rows;
            count -= rows;
        }
    }

    /// <summary>Reads the keys of rows [0, <see cref="Count"/>) through the file, not the mapping (they do not stay resident).</summary>
    public long[] ReadKeys()
    {
        var keys = new long[Count];
        for (int segment = 0; segment * SegmentRows < Count; segment++)
        {
            int rows = Math.Min(SegmentRows, Count - segment * SegmentRows);
            var destination = MemoryMarshal.AsBytes(keys.AsSpan(segment * SegmentRows, rows));
            RandomAccess.Read(_stream.SafeFileHandle, destination, SegmentStart(segment) + (long)SegmentRows * RecordBytes);
        }
        return keys;
    }

    /// <summary>Writes the header with the rows appended so far (rows past it are ignored on opening).</summary>
    public void Publish()
    {
        var header = new Span<byte>(_header, HeaderBytes);
        header.Clear();
        var fields = MemoryMarshal.Cast<byte, long>(header[..48]);
        fields[0] = (long)Magic;
        BitConverter.TryWriteBytes(header[8..], Version);
        BitConverter.TryWriteBytes(header[12..], Dimensions);
        BitConverter.TryWriteBytes(header[16..], SegmentRows);
        fields[3] = Count;
        fields[4] = (long)Fingerprint;
        fields[5] = (long)Layout;
        BitConverter.TryWriteBytes(header[ChecksumAt..], XxHash64.HashToUInt64(header[..ChecksumAt]));
        StorageTestHooks.RowsPublished?.Invoke(Path, Count);
    }

    /// <summary>Publishes, flushes to disk, and renames the file to <paramref name="path"/> (over any file there; one mapping it stays whole).</summary>
    public void Rename(string path)
    {
        Publish();
        FlushToDisk();
        File.Move(Path, path, overwrite: true);
        Path = path;
    }

    /// <summary>Writes the mapped pages and the file to disk (before a rename makes it the row file).</summary>
    public void FlushToDisk()
    {
        _headerView.Flush();
        foreach (var (_, view, _) in _segments)
            view.Flush();
        _stream.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var (map, view, _) in _segments)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            map.Dispose();
        }
        _segments.Clear();
        _headerView.SafeMemoryMappedViewHandle.ReleasePointer();
        _headerView.Dispose();
        _headerMap.Dispose();
        _stream.Dispose();
    }
}
