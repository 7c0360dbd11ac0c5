using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace ArtMatch.Core.Keypoints;

/// <summary>One catalogue picture's keypoints as the keypoint file stores them.</summary>
/// <param name="Stamp">What the caller knows this version of the picture's keypoints by (the store: the SQLite row id), so that a reopened file can tell which of its pictures are still current.</param>
public sealed record KeypointFileEntry(string ObjectId, string ImageId, long Stamp, KeypointSet Keypoints);

/// <summary>
/// Every catalogue picture's keypoints in one read-only, memory-mapped file with hashed posting lists
/// over their descriptors, so that the keypoint vote over the whole catalogue reads the disk's pages
/// instead of holding the keypoints on the managed heap. Little-endian; sections in this order:
/// <list type="bullet">
/// <item>a 4 KB header (magic, version, key bits, tables, counts and section offsets);</item>
/// <item>descriptors, 32 bytes a keypoint (rows numbered in file order, pictures in (object, image) order);</item>
/// <item>points (x, y, scale, angle as float32), 16 bytes a keypoint;</item>
/// <item>the picture of each row (uint32);</item>
/// <item>per hash table (one per 18-bit descriptor chunk), 2^18 + 1 bucket starts (uint32);</item>
/// <item>per hash table, the posting lists: row numbers (uint32) sorted by chunk value, then row;</item>
/// <item>the directory: per picture its first row, count, size, stamp, object id and image id.</item>
/// </list>
/// The writer (<see cref="Write"/>) writes a temporary file beside the target and renames it into
/// place, so a crash leaves the old file or none, never a half-written one.
/// </summary>
public sealed unsafe partial class KeypointFile : IDisposable
{
    /// <summary>Bits per hash key (see <see cref="KeypointIndex"/>).</summary>
    public const int KeyBits = 18;

    /// <summary>Hash tables, one per 18-bit chunk of the 256-bit descriptor.</summary>
    public const int Tables = KeypointSet.DescriptorWords * 64 / KeyBits;

    public const int BucketCount = 1 << KeyBits;

    private const uint Magic = 0x504B4D41;   // "AMKP"
    private const int FormatVersion = 1;
    private const int HeaderBytes = 4096;
    private const int DescriptorBytes = KeypointSet.DescriptorWords * 8;
    private const int PointBytes = 16;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private int _disposed;
    private int _leases;
    private int _retired;

    private KeypointFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* at, long rows, PictureDirectory directory)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = at;
        Rows = (int)rows;
        ObjectIds = directory.ObjectIds;
        ImageIds = directory.ImageIds;
        FirstRow = directory.FirstRow;
        Counts = directory.Counts;
        Widths = directory.Widths;
        Heights = directory.Heights;
        Stamps = directory.Stamps;
        Descriptors = (ulong*)(at + HeaderBytes);
        Points = (float*)(at + HeaderBytes + rows * DescriptorBytes);
        ImageOfRow = (int*)(at + HeaderBytes + rows * (DescriptorBytes + PointBytes));
        _starts = (uint*)(ImageOfRow + rows);
        _postings = _starts + (long)Tables * (BucketCount + 1);
    }

    private readonly uint* _starts;
    private readonly uint* _postings;

    public string Path { get; }

    /// <summary>Keypoints in the file, over all pictures.</summary>
    public int Rows { get; }

    public int ImageCount => ImageIds.Length;

    public string[] ObjectIds { get; }
    public string[] ImageIds { get; }
    public int[] FirstRow { get; }
    public int[] Counts { get; }
    public int[] Widths { get; }
    public int[] Heights { get; }
    public long[] Stamps { get; }

    /// <summary>Row-major descriptors, <see cref="KeypointSet.DescriptorWords"/> words a row.</summary>
    internal ulong* Descriptors { get; }

    internal float* Points { get; }

    internal int* ImageOfRow { get; }

    /// <summary>Rows whose chunk <paramref name="table"/> has value <paramref name="key"/>: their range in <see cref="Postings"/>.</summary>
    internal (int From, int To) Bucket(int table, int key)
    {
        uint* starts = _starts + (long)table * (BucketCount + 1);
        return ((int)starts[key], (int)starts[key + 1]);
    }

    internal uint* Postings(int table) => _postings + (long)table * Rows;

    /// <summary>One picture's keypoints, copied out of the file.</summary>
    public KeypointSet Read(int image)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int first = FirstRow[image], count = Counts[image];
        var points = new Keypoint[count];
        var descriptors = new ulong[count * KeypointSet.DescriptorWords];
        new ReadOnlySpan<ulong>(Descriptors + (long)first * KeypointSet.DescriptorWords, descriptors.Length).CopyTo(descriptors);
        float* p = Points + (long)first * 4;
        for (int i = 0; i < count; i++, p += 4)
            points[i] = new Keypoint(p[0], p[1], p[2], p[3]);
        return new KeypointSet(Widths[image], Heights[image], points, descriptors);
    }

    /// <summary>
    /// Opens a file written by <see cref="Write"/>, mapped read-only (nothing but its directory is read
    /// now; the rest is paged in as searches touch it). Throws <see cref="InvalidDataException"/> when the
    /// file is not one, of another format version, or cut short.
    /// </summary>
    public static KeypointFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < HeaderBytes)
            throw new InvalidDataException($"The keypoint file {path} is {length} bytes, shorter than its header.");
        var header = new byte[64];
        long rows, directoryAt, directoryBytes;
        int images;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.ReadExactly(header);
            var h = header.AsSpan();
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic)
                throw new InvalidDataException($"{path} is not a keypoint file.");
            if (BinaryPrimitives.ReadInt32LittleEndian(h[4..]) != FormatVersion || BinaryPrimitives.ReadInt32LittleEndian(h[8..]) != KeyBits
                || BinaryPrimitives.ReadInt32LittleEndian(h[12..]) != Tables)
                throw new InvalidDataException($"The keypoint file {path} is of another format version.");
            images = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
            rows = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
            directoryAt = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
            directoryBytes = BinaryPrimitives.ReadInt64LittleEndian(h[40..]);
            if (images < 0 || rows < 0 || rows > int.MaxValue || directoryAt != SectionsEnd(rows) || directoryAt + directoryBytes != length)
                throw new InvalidDataException($"The keypoint file {path} is cut short or corrupt ({length} bytes for {rows} keypoints of {images} pictures).");
            stream.Position = directoryAt;
            var bytes = new byte[directoryBytes];
            stream.ReadExactly(bytes);
            var directory = PictureDirectory.Parse(bytes, images, rows, path);
            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            MemoryMappedViewAccessor? view = null;
            try
            {
                view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* at = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref at);
                return new KeypointFile(path, map, view, at + view.PointerOffset, rows, directory);
            }
            catch
            {
                view?.Dispose();
                map.Dispose();
                throw;
            }
        }
    }

    /// <summary>Where the directory starts: after the header and the fixed-size sections.</summary>
    private static long SectionsEnd(long rows) =>
        HeaderBytes + rows * (DescriptorBytes + PointBytes + 4) + (long)Tables * (BucketCount + 1) * 4 + (long)Tables * rows * 4;

    /// <summary>Keeps the mapping alive for one search (call under the owner's lock, which also retires files).</summary>
    internal void Lease() => Interlocked.Increment(ref _leases);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) != 0)
            Dispose();
    }

    /// <summary>No new searches will use this file: unmapped once the running ones release it.</summary>
    internal void Retire()
    {
        Interlocked.Exchange(ref _retired, 1);
        if (Volatile.Read(ref _leases) == 0)
            Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    /// <summary>The per-picture part of the file, read into memory on opening.</summary>
    private sealed class PictureDirectory
    {
        public required string[] ObjectIds { get; init; }
        public required string[] ImageIds { get; init; }
        public required int[] FirstRow { get; init; }
        public required int[] Counts { get; init; }
        public required int[] Widths { get; init; }
        public required int[] Heights { get; init; }
        public required long[] Stamps { get; init; }

        public static PictureDirectory Parse(ReadOnlySpan<byte> bytes, int images, long rows, string path)
        {
            var d = new PictureDirectory
            {
                ObjectIds = new string[images], ImageIds = new string[images], FirstRow = new int[images], Counts = new int[images],
                Widths = new int[images], Heights = new int[images], Stamps = new long[images],
            };
            int at = 0;
            long expected = 0;
            try
            {
                for (int i = 0; i < images; i++)
                {
                    d.FirstRow[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
                    d.Counts[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 4)..]);
                    d.Widths[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 8)..]);
                    d.Heights[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 12)..]);
                    d.Stamps[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(at + 16)..]);
                    at += 24;
                    d.ObjectIds[i] = ReadString(bytes, ref at);
                    d.ImageIds[i] = ReadString(bytes, ref at);
                    if (d.FirstRow[i] != expected || d.Counts[i] < 0)
                        throw new InvalidDataException("rows out of order");
                    expected += d.Counts[i];
                }
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidDataException or DecoderFallbackException)
            {
                throw new InvalidDataException($"The keypoint file {path} has a corrupt directory: {e.Message}", e);
            }
            if (expected != rows || at != bytes.Length)
                throw new InvalidDataException($"The keypoint file {path} has a corrupt directory ({expected} keypoints listed of {rows}).");
            return d;
        }

        private static string ReadString(ReadOnlySpan<byte> bytes, ref int at)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
            var text = Strict.GetString(bytes.Slice(at + 2, length));
            at += 2 + length;
            return text;
        }
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
}
