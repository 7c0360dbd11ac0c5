namespace ArtMatch.Core.Keypoints;

public sealed partial class KeypointIndex
{
    /// <summary>
    /// What one search reads, without locks: the current file (pictures numbered first, rows from 0)
    /// with which of its pictures are still live, then the pictures held in memory (numbered after the
    /// file's, rows after its rows) with their own hash tables. Rebuilt after a change.
    /// </summary>
    private sealed unsafe class Snapshot
    {
        public const int Tables = KeypointFile.Tables;

        public KeypointFile? File { get; private init; }
        public int FileImages { get; private init; }
        public int FileRows { get; private init; }

        /// <summary>Per file picture: still in the index (not removed or replaced since the file was written).</summary>
        public bool[] FileLive { get; private init; } = [];

        public (string ObjectId, string ImageId, KeypointSet Keypoints)[] Memory { get; private init; } = [];
        public int MemoryRows { get; private init; }
        public ulong[] MemoryDescriptors { get; private init; } = [];

        /// <summary>Per in-memory row: its picture among the in-memory ones.</summary>
        public int[] MemoryImageOfRow { get; private init; } = [];

        /// <summary>Per table, the in-memory rows sorted by that table's chunk value (then row): the posting lists.</summary>
        public uint[][] MemoryPostings { get; private init; } = [];

        /// <summary>
        /// Per table, where each chunk value's rows start in <see cref="MemoryPostings"/> (2^18 + 1 entries,
        /// 1 MB a table), when the in-memory rows are many; null when few, and the buckets are found by
        /// binary search in <see cref="MemoryChunks"/> (each posting's chunk value) instead.
        /// </summary>
        public uint[][]? MemoryStarts { get; private init; }

        public uint[][] MemoryChunks { get; private init; } = [];

        /// <summary>In-memory rows from which bucket starts (14 MB) cost less than each posting's chunk value (4 bytes a row and table).</summary>
        public const int StartsFromRows = KeypointFile.BucketCount;

        public string[] ObjectIds { get; private init; } = [];
        public int[] ObjectOfImage { get; private init; } = [];

        public int Images => FileImages + Memory.Length;
        public int Rows => FileRows + MemoryRows;

        public (string ObjectId, string ImageId) Key(int image) =>
            image < FileImages ? (File!.ObjectIds[image], File.ImageIds[image]) : (Memory[image - FileImages].ObjectId, Memory[image - FileImages].ImageId);

        /// <summary>A picture's keypoints (copied out of the file for file pictures).</summary>
        public KeypointSet Keypoints(int image) => image < FileImages ? File!.Read(image) : Memory[image - FileImages].Keypoints;

        /// <summary>The in-memory rows whose chunk <paramref name="table"/> is <paramref name="key"/>: their range in <see cref="MemoryPostings"/>.</summary>
        public (int From, int To) MemoryBucket(int table, int key)
        {
            if (MemoryRows == 0)
                return (0, 0);
            if (MemoryStarts is not null)
                return ((int)MemoryStarts[table][key], (int)MemoryStarts[table][key + 1]);
            var chunks = MemoryChunks[table];
            return (LowerBound(chunks, (uint)key), LowerBound(chunks, (uint)key + 1));
        }

        private static int LowerBound(uint[] keys, uint value)
        {
            int lo = 0, hi = keys.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (keys[mid] < value)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            return lo;
        }

        public static Snapshot Build(Dictionary<(string ObjectId, string ImageId), Entry> entries, KeypointFile? file, FileObjects fileObjects)
        {
            int fileImages = file?.ImageCount ?? 0;
            var live = new bool[fileImages];
            var memoryEntries = new List<(string ObjectId, string ImageId, KeypointSet Keypoints)>();
            foreach (var (key, entry) in entries)
            {
                if (entry.Set is not null)
                    memoryEntries.Add((key.ObjectId, key.ImageId, entry.Set));
                else if (ReferenceEquals(entry.File, file))
                    live[entry.FileImage] = true;
            }
            var memory = memoryEntries.OrderBy(e => e.ObjectId, StringComparer.Ordinal).ThenBy(e => e.ImageId, StringComparer.Ordinal).ToArray();

            // Objects: the file's ordinals, then those only the in-memory pictures have.
            var extra = new Dictionary<string, int>(StringComparer.Ordinal);
            var objectIds = new List<string>(fileObjects.Ids);
            var objectOfImage = new int[fileImages + memory.Length];
            fileObjects.OfImage.CopyTo(objectOfImage, 0);
            for (int i = 0; i < memory.Length; i++)
            {
                string id = memory[i].ObjectId;
                if (!fileObjects.Ordinals.TryGetValue(id, out int o) && !extra.TryGetValue(id, out o))
                {
                    o = objectIds.Count;
                    extra[id] = o;
                    objectIds.Add(id);
                }
                objectOfImage[fileImages + i] = o;
            }

            int rows = memory.Sum(e => e.Keypoints.Count);
            var imageOfRow = new int[rows];
            var descriptors = new ulong[rows * KeypointSet.DescriptorWords];
            int at = 0;
            for (int i = 0; i < memory.Length; i++)
            {
                var set = memory[i].Keypoints;
                Array.Fill(imageOfRow, i, at, set.Count);
                set.Descriptors.CopyTo(descriptors, at * KeypointSet.DescriptorWords);
                at += set.Count;
            }
            var postings = new uint[Tables][];
            var starts = rows >= StartsFromRows ? new uint[Tables][] : null;
            var chunks = new uint[Tables][];
            Parallel.For(0, Tables, table =>
            {
                var rowsOf = new uint[rows];
                fixed (ulong* d = descriptors)
                {
                    if (starts is not null)
                    {
                        // Counting sort of the rows by this table's chunk.
                        var start = new uint[KeypointFile.BucketCount + 1];
                        for (int r = 0; r < rows; r++)
                            start[KeypointFile.Chunk(d, r, table) + 1]++;
                        for (int k = 0; k < KeypointFile.BucketCount; k++)
                            start[k + 1] += start[k];
                        var next = start[..^1];
                        for (int r = 0; r < rows; r++)
                            rowsOf[next[KeypointFile.Chunk(d, r, table)]++] = (uint)r;
                        starts[table] = start;
                        chunks[table] = [];
                    }
                    else
                    {
                        var keys = new ulong[rows];
                        for (int r = 0; r < rows; r++)
                            keys[r] = (ulong)KeypointFile.Chunk(d, r, table) << 32 | (uint)r;
                        Array.Sort(keys);
                        var chunkOf = new uint[rows];
                        for (int r = 0; r < rows; r++)
                            (chunkOf[r], rowsOf[r]) = ((uint)(keys[r] >> 32), (uint)keys[r]);
                        chunks[table] = chunkOf;
                    }
                }
                postings[table] = rowsOf;
            });
            return new Snapshot
            {
                File = file, FileImages = fileImages, FileRows = file?.Rows ?? 0, FileLive = live,
                Memory = memory, MemoryRows = rows, MemoryDescriptors = descriptors, MemoryImageOfRow = imageOfRow,
                MemoryPostings = postings, MemoryStarts = starts, MemoryChunks = chunks,
                ObjectIds = [.. objectIds], ObjectOfImage = objectOfImage,
            };
        }
    }

    /// <summary>A file's objects, numbered once when the file is taken into use.</summary>
    private sealed class FileObjects
    {
        public static readonly FileObjects None = new() { Ids = [], Ordinals = [], OfImage = [] };

        public required string[] Ids { get; init; }
        public required Dictionary<string, int> Ordinals { get; init; }
        public required int[] OfImage { get; init; }

        public static FileObjects Of(KeypointFile? file)
        {
            if (file is null)
                return None;
            var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
            var ofImage = new int[file.ImageCount];
            for (int i = 0; i < ofImage.Length; i++)
            {
                if (!ordinals.TryGetValue(file.ObjectIds[i], out int o))
                    ordinals[file.ObjectIds[i]] = o = ordinals.Count;
                ofImage[i] = o;
            }
            return new FileObjects { Ids = [.. ordinals.OrderBy(p => p.Value).Select(p => p.Key)], Ordinals = ordinals, OfImage = ofImage };
        }
    }
}
