using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Tests.Keypoints;

public sealed class KeypointFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kpfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A set of <paramref name="count"/> keypoints with seeded random positions and descriptors.</summary>
    internal static KeypointSet RandomSet(int count, int seed, int width = 640, int height = 480)
    {
        var random = new Random(seed);
        var points = Enumerable.Range(0, count).Select(_ => new Keypoint(
            (float)random.NextDouble() * width, (float)random.NextDouble() * height, 1 + random.Next(4), (float)(random.NextDouble() * 6.28))).ToArray();
        var descriptors = Enumerable.Range(0, count * KeypointSet.DescriptorWords).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40)).ToArray();
        return new KeypointSet(width, height, points, descriptors);
    }

    private static List<KeypointFileEntry> Entries() =>
    [
        new("a", "a-1", 11, RandomSet(300, 1)),
        new("a", "a-2", 12, RandomSet(0, 2, 10, 20)),
        new("b", "b-1", 13, RandomSet(1200, 3, 800, 600)),
        new("c\u00e9", "c-1", long.MaxValue, RandomSet(5, 4)),
    ];

    [Fact]
    public void Write_ThenOpen_GivesBackEveryPictureAsWritten()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        var entries = Entries();
        var (images, rows) = KeypointFile.Write(path, entries);
        Assert.Equal((4, 1505L), (images, rows));
        Assert.Equal([path], Directory.GetFiles(_dir));

        using var file = KeypointFile.Open(path);
        Assert.Equal(1505, file.Rows);
        Assert.Equal(entries.Select(e => e.ObjectId), file.ObjectIds);
        Assert.Equal(entries.Select(e => e.ImageId), file.ImageIds);
        Assert.Equal(entries.Select(e => e.Stamp), file.Stamps);
        for (int i = 0; i < entries.Count; i++)
        {
            var read = file.Read(i);
            Assert.Equal((entries[i].Keypoints.Width, entries[i].Keypoints.Height), (read.Width, read.Height));
            Assert.Equal(entries[i].Keypoints.Points, read.Points);
            Assert.Equal(entries[i].Keypoints.Descriptors, read.Descriptors);
        }
    }

    [Fact]
    public unsafe void PostingLists_HoldEveryRowOnceUnderItsChunk_InRowOrder()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        KeypointFile.Write(path, Entries());
        using var file = KeypointFile.Open(path);
        for (int table = 0; table < KeypointFile.Tables; table++)
        {
            var seen = new bool[file.Rows];
            uint* postings = file.Postings(table);
            for (int row = 0; row < file.Rows; row++)
            {
                int key = KeypointFile.Chunk(file.Descriptors, row, table);
                var (from, to) = file.Bucket(table, key);
                var bucket = new ReadOnlySpan<uint>(postings + from, to - from).ToArray();
                Assert.Contains((uint)row, bucket);
                Assert.Equal(bucket.Order(), bucket);
                Assert.All(bucket, r => Assert.Equal(key, KeypointFile.Chunk(file.Descriptors, r, table)));
                seen[row] = true;
            }
            Assert.Equal(file.Rows, (int)file.Bucket(table, KeypointFile.BucketCount - 1).To);
            Assert.All(seen, Assert.True);
        }
        // Each row's picture.
        Assert.Equal(0, file.ImageOfRow[0]);
        Assert.Equal(2, file.ImageOfRow[300]);
        Assert.Equal(3, file.ImageOfRow[1504]);
    }

    [Fact]
    public void Chunk_MatchesTheBitsOfTheDescriptor()
    {
        var set = RandomSet(3, 9);
        var path = Path.Combine(_dir, "k.idx");
        KeypointFile.Write(path, [new("o", "i", 1, set)]);
        using var file = KeypointFile.Open(path);
        for (int row = 0; row < 3; row++)
        {
            var bits = new System.Collections.BitArray(set.Descriptor(row).ToArray().SelectMany(BitConverter.GetBytes).ToArray());
            for (int table = 0; table < KeypointFile.Tables; table++)
            {
                int expected = 0;
                for (int b = 0; b < KeypointFile.KeyBits; b++)
                    expected |= (bits[table * KeypointFile.KeyBits + b] ? 1 : 0) << b;
                unsafe
                {
                    Assert.Equal(expected, KeypointFile.Chunk(file.Descriptors, row, table));
                }
            }
        }
    }

    [Fact]
    public void Open_CutShortOrForeignFile_ThrowsInvalidData()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        KeypointFile.Write(path, Entries());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        Assert.Throws<InvalidDataException>(() => KeypointFile.Open(path));
        File.WriteAllBytes(path, bytes[..100]);
        Assert.Throws<InvalidDataException>(() => KeypointFile.Open(path));
        var foreign = bytes.ToArray();
        foreign[0] ^= 0xFF;
        File.WriteAllBytes(path, foreign);
        Assert.Throws<InvalidDataException>(() => KeypointFile.Open(path));
        var corrupt = bytes.ToArray();
        corrupt[^3] = 0xFF;   // inside the last image id: no longer UTF-8 of the right length
        File.WriteAllBytes(path, corrupt);
        Assert.Throws<InvalidDataException>(() => KeypointFile.Open(path));
    }

    [Fact]
    public void Write_Cancelled_LeavesTheOldFileAndNoTemporaryOne()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        KeypointFile.Write(path, Entries().Take(1));
        using var cancel = new CancellationTokenSource();
        IEnumerable<KeypointFileEntry> Cancelling()
        {
            foreach (var e in Entries())
            {
                yield return e;
                cancel.Cancel();
            }
        }
        Assert.Throws<OperationCanceledException>(() => KeypointFile.Write(path, Cancelling(), cancel.Token));
        Assert.Equal([path], Directory.GetFiles(_dir));
        using var file = KeypointFile.Open(path);
        Assert.Equal(1, file.ImageCount);
    }

    [Fact]
    public void Write_OverALeftoverTemporaryFile_Succeeds_AndAnOpenFileStaysReadable()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        KeypointFile.Write(path, Entries().Take(2));
        using var old = KeypointFile.Open(path);
        File.WriteAllBytes(KeypointFile.TemporaryPath(path, Environment.ProcessId), [1, 2, 3]);   // as a kill -9 mid-write leaves it
        KeypointFile.Write(path, Entries());
        using var fresh = KeypointFile.Open(path);
        Assert.Equal(4, fresh.ImageCount);
        // The replaced file stays mapped for whoever still reads it.
        Assert.Equal(Entries()[0].Keypoints.Descriptors, old.Read(0).Descriptors);
    }

    [Fact]
    public void Write_NoPictures_GivesAnEmptyFileThatOpens()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        KeypointFile.Write(path, []);
        using var file = KeypointFile.Open(path);
        Assert.Equal((0, 0), (file.ImageCount, file.Rows));
        Assert.Equal((0, 0), file.Bucket(3, 77));
    }

    [Fact]
    public void DeleteLeftovers_DeletesTheTemporaryFilesOfProcessesNoLongerRunning_Only()
    {
        var path = Path.Combine(_dir, "keypoints.idx");
        const int Gone = 99_999_999;   // above Linux's largest process id
        File.WriteAllBytes(path, [0]);
        File.WriteAllBytes(KeypointFile.TemporaryPath(path, Gone), [1]);
        File.WriteAllBytes(KeypointFile.TemporaryPath(path + ".points", Gone), [1]);
        File.WriteAllBytes(KeypointFile.TemporaryPath(path, Environment.ProcessId), [2]);
        File.WriteAllBytes(Path.Combine(_dir, "keypoints.idx.notes.tmp"), [3]);

        Assert.Equal(2, KeypointFile.DeleteLeftovers(path));

        Assert.Equal(new[] { path, KeypointFile.TemporaryPath(path, Environment.ProcessId), Path.Combine(_dir, "keypoints.idx.notes.tmp") }.Order(),
            Directory.GetFiles(_dir).Order());
    }
}
