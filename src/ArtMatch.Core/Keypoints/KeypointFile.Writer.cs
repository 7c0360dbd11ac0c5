using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace ArtMatch.Core.Keypoints;

public sealed unsafe partial class KeypointFile
{
    /// <summary>Suffix of the temporary files a write goes to before it is renamed into place.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>The temporary file a process writes <paramref name="path"/> through: PATH.PID.tmp, so that two processes sharing a store never write the same one.</summary>
    public static string TemporaryPath(string path, int processId) => $"{path}.{processId}{TemporarySuffix}";

    /// <summary>
    /// Deletes the temporary files of writes to <paramref name="path"/> that a process killed mid-way
    /// left behind (those of processes no longer running); returns how many.
    /// </summary>
    public static int DeleteLeftovers(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!System.IO.Directory.Exists(directory))
            return 0;
        int deleted = 0;
        string prefix = System.IO.Path.GetFileName(path) + ".";
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, prefix + "*" + TemporarySuffix))
        {
            var middle = System.IO.Path.GetFileName(file)[prefix.Length..^TemporarySuffix.Length];
            if (middle.StartsWith("points.", StringComparison.Ordinal))
                middle = middle["points.".Length..];
            if (!int.TryParse(middle, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) || Running(pid))
                continue;
            try
            {
                File.Delete(file);
                deleted++;
            }
            catch (IOException)
            {
            }
        }
        return deleted;
    }

    private static bool Running(int processId)
    {
        if (processId == Environment.ProcessId)
            return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="entries"/> (in the order given; the index gives them in (object, image)
    /// order) to <paramref name="path"/>: first to PATH.tmp, synced, then renamed over PATH. The entries
    /// are read once, one at a time; beside the file being written, memory holds only the directory
    /// and one table's bucket counters (1 MB). Stops with <see cref="OperationCanceledException"/> when
    /// <paramref name="cancel"/> fires (the temporary file is deleted, PATH left as it was).
    /// </summary>
    /// <returns>Pictures and keypoints written.</returns>
    public static (int Images, long Rows) Write(string path, IEnumerable<KeypointFileEntry> entries, CancellationToken cancel = default)
    {
        string temporary = TemporaryPath(path, Environment.ProcessId), points = TemporaryPath(path + ".points", Environment.ProcessId);
        try
        {
            var (directory, images, rows) = WriteRows(temporary, points, entries, cancel);
            WriteTables(temporary, rows, cancel);
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                stream.Position = SectionsEnd(rows);
                stream.Write(directory);
                stream.SetLength(stream.Position);
                var header = new byte[64];
                var h = header.AsSpan();
                BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
                BinaryPrimitives.WriteInt32LittleEndian(h[4..], FormatVersion);
                BinaryPrimitives.WriteInt32LittleEndian(h[8..], KeyBits);
                BinaryPrimitives.WriteInt32LittleEndian(h[12..], Tables);
                BinaryPrimitives.WriteInt32LittleEndian(h[16..], images);
                BinaryPrimitives.WriteInt64LittleEndian(h[24..], rows);
                BinaryPrimitives.WriteInt64LittleEndian(h[32..], SectionsEnd(rows));
                BinaryPrimitives.WriteInt64LittleEndian(h[40..], directory.Length);
                stream.Position = 0;
                stream.Write(header);
                stream.Flush(flushToDisk: true);
            }
            cancel.ThrowIfCancellationRequested();
            File.Move(temporary, path, overwrite: true);
            return (images, rows);
        }
        finally
        {
            File.Delete(points);
            File.Delete(temporary);
        }
    }

    /// <summary>Descriptors into the file after its header, points into a side file appended after them, then each row's picture.</summary>
    private static (byte[] Directory, int Images, long Rows) WriteRows(string temporary, string pointsPath, IEnumerable<KeypointFileEntry> entries, CancellationToken cancel)
    {
        using var directory = new MemoryStream();
        var counts = new List<int>();
        long rows = 0;
        using var file = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        using (var pointsFile = new FileStream(pointsPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
        {
            file.Position = HeaderBytes;
            var entryHeader = new byte[24];
            foreach (var entry in entries)
            {
                cancel.ThrowIfCancellationRequested();
                var set = entry.Keypoints;
                if (rows + set.Count > int.MaxValue)
                    throw new InvalidOperationException($"A keypoint file holds at most {int.MaxValue} keypoints.");
                BinaryPrimitives.WriteInt32LittleEndian(entryHeader, (int)rows);
                BinaryPrimitives.WriteInt32LittleEndian(entryHeader.AsSpan(4), set.Count);
                BinaryPrimitives.WriteInt32LittleEndian(entryHeader.AsSpan(8), set.Width);
                BinaryPrimitives.WriteInt32LittleEndian(entryHeader.AsSpan(12), set.Height);
                BinaryPrimitives.WriteInt64LittleEndian(entryHeader.AsSpan(16), entry.Stamp);
                directory.Write(entryHeader);
                WriteString(directory, entry.ObjectId);
                WriteString(directory, entry.ImageId);
                file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(set.Descriptors.AsSpan()));
                pointsFile.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(set.Points.AsSpan()));
                counts.Add(set.Count);
                rows += set.Count;
            }
            pointsFile.Position = 0;
            pointsFile.CopyTo(file);
        }
        var owner = new byte[1 << 16];
        int filled = 0;
        for (int image = 0; image < counts.Count; image++)
        {
            for (int k = 0; k < counts[image]; k++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(owner.AsSpan(filled), image);
                filled += 4;
                if (filled == owner.Length)
                {
                    file.Write(owner);
                    filled = 0;
                }
            }
        }
        file.Write(owner, 0, filled);
        file.SetLength(SectionsEnd(rows));
        return (directory.ToArray(), counts.Count, rows);
    }

    /// <summary>Per table, a counting sort of the rows by their chunk, written through a writable mapping of the temporary file.</summary>
    private static void WriteTables(string temporary, long rows, CancellationToken cancel)
    {
        using var map = MemoryMappedFile.CreateFromFile(temporary, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        using var view = map.CreateViewAccessor(0, SectionsEnd(rows), MemoryMappedFileAccess.ReadWrite);
        byte* at = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref at);
        try
        {
            at += view.PointerOffset;
            var descriptors = (ulong*)(at + HeaderBytes);
            var allStarts = (uint*)(at + HeaderBytes + rows * (DescriptorBytes + PointBytes + 4));
            var allPostings = allStarts + (long)Tables * (BucketCount + 1);
            var next = new uint[BucketCount];
            for (int table = 0; table < Tables; table++)
            {
                cancel.ThrowIfCancellationRequested();
                var starts = new Span<uint>(allStarts + (long)table * (BucketCount + 1), BucketCount + 1);
                starts.Clear();
                for (long r = 0; r < rows; r++)
                    starts[Chunk(descriptors, r, table) + 1]++;
                for (int k = 0; k < BucketCount; k++)
                    starts[k + 1] += starts[k];
                starts[..BucketCount].CopyTo(next);
                uint* postings = allPostings + (long)table * rows;
                for (long r = 0; r < rows; r++)
                    postings[next[Chunk(descriptors, r, table)]++] = (uint)r;
            }
            view.Flush();
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Bits [18 t, 18 t + 18) of the descriptor at <paramref name="row"/> (a chunk may straddle two words).</summary>
    internal static int Chunk(ulong* descriptors, long row, int table)
    {
        int bit = table * KeyBits, shift = bit % 64;
        ulong* word = descriptors + row * KeypointSet.DescriptorWords + bit / 64;
        ulong value = word[0] >> shift;
        if (shift + KeyBits > 64)
            value |= word[1] << (64 - shift);
        return (int)(value & ((1UL << KeyBits) - 1));
    }

    private static void WriteString(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > ushort.MaxValue)
            throw new ArgumentException($"An id of {bytes.Length} bytes is too long for the keypoint file.");
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)bytes.Length);
        stream.Write(length);
        stream.Write(bytes);
    }
}
