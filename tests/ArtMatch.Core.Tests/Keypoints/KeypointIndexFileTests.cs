using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Tests.Keypoints;

/// <summary>The keypoint index kept in a file: the same answers as in memory, with adds, replacements and removals around the file.</summary>
public sealed class KeypointIndexFileTests : IDisposable
{
    private static readonly KeypointSettings Catalogue = new() { MaxKeypoints = 6000 };
    private static readonly KeypointSettings Photo = new();
    private static readonly Dictionary<int, GreyImage> Paintings = [];

    private readonly string _dir = Directory.CreateTempSubdirectory("kpindex-").FullName;
    private string PathOf => Path.Combine(_dir, "keypoints.idx");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GreyImage Painting(int seed)
    {
        lock (Paintings)
        {
            if (!Paintings.TryGetValue(seed, out var p))
                Paintings[seed] = p = KeypointTests.Painting(400, 300, seed);
            return p;
        }
    }

    /// <summary>A store's keypoint rows: (object, image) to stamp and set, as a store would list and read them.</summary>
    private sealed class FakeStore
    {
        public readonly SortedDictionary<(string, string), (long Stamp, KeypointSet Set)> Rows = new(Comparer<(string, string)>.Create(
            (a, b) => string.CompareOrdinal(a.Item1, b.Item1) is var c && c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2)));
        public int Reads;
        public int FullReads;
        private long _next = 1;

        public long Put(string objectId, int seed)
        {
            long stamp = _next++;
            Rows[(objectId, objectId + "-image")] = (stamp, KeypointDetector.Detect(Painting(seed), Catalogue));
            return stamp;
        }

        public void Open(KeypointIndex index, string path) => index.OpenFile(path,
            Rows.Select(r => new StoredKeypoints(r.Key.Item1, r.Key.Item2, r.Value.Stamp, r.Value.Set.Count)).ToList(),
            s =>
            {
                Reads++;
                return Rows[(s.ObjectId, s.ImageId)].Set;
            },
            () =>
            {
                FullReads++;
                return Rows.Select(r => new KeypointFileEntry(r.Key.Item1, r.Key.Item2, r.Value.Stamp, r.Value.Set));
            });
    }

    private static KeypointSet CloseUp(int seed) => KeypointDetector.Detect(Painting(seed).Crop(new PixelRect(150, 100, 90, 90)), Photo);

    private static KeypointIndex NewIndex() => new(new KeypointMatchSettings()) { IdleMerge = TimeSpan.FromHours(1) };

    [Fact]
    public void FromFile_AnswersAsTheInMemoryIndex()
    {
        var store = new FakeStore();
        for (int seed = 20; seed < 26; seed++)
            store.Put("object" + seed, seed);
        using var memory = NewIndex();
        foreach (var (key, value) in store.Rows)
            memory.Add(key.Item1, key.Item2, value.Set);
        using var disk = NewIndex();

        store.Open(disk, PathOf);

        Assert.Equal(1, store.FullReads);
        Assert.Equal(0, store.Reads);
        var state = disk.State;
        Assert.Equal((6, 6, 0), (state.FileImages, state.LiveFileImages, state.MemoryImages));
        for (int seed = 20; seed < 26; seed++)
        {
            var fromMemory = memory.Search(CloseUp(seed), minInliers: 5);
            var fromDisk = disk.Search(CloseUp(seed), minInliers: 5);
            Assert.Equal("object" + seed, Assert.Single(fromDisk).ObjectId);
            Assert.Equal(fromMemory.Select(c => (c.ObjectId, c.ImageId, c.Inliers, c.Matches)), fromDisk.Select(c => (c.ObjectId, c.ImageId, c.Inliers, c.Matches)));
            Assert.Equal(fromMemory[0].CatalogueInliers, fromDisk[0].CatalogueInliers);
        }
    }

    [Fact]
    public void AddReplaceRemove_AroundTheFile_AreSearchedAtOnce_AndSurviveAMerge()
    {
        var store = new FakeStore();
        for (int seed = 30; seed < 34; seed++)
            store.Put("object" + seed, seed);
        using var index = NewIndex();
        store.Open(index, PathOf);

        // Added after the file was written: held in memory.
        long stamp = store.Put("added", 40);
        index.Add("added", "added-image", store.Rows[("added", "added-image")].Set, stamp);
        // Replaced: object31's picture is now painting 41; removed: object32.
        stamp = store.Put("object31", 41);
        index.Add("object31", "object31-image", store.Rows[("object31", "object31-image")].Set, stamp);
        store.Rows.Remove(("object32", "object32-image"));
        index.RemoveObject("object32");

        void AssertAnswers()
        {
            Assert.Equal("added", Assert.Single(index.Search(CloseUp(40), minInliers: 5)).ObjectId);
            Assert.Equal("object31", Assert.Single(index.Search(CloseUp(41), minInliers: 5)).ObjectId);
            Assert.Empty(index.Search(CloseUp(31), minInliers: 5));
            Assert.Empty(index.Search(CloseUp(32), minInliers: 5));
            Assert.Equal("object33", Assert.Single(index.Search(CloseUp(33), minInliers: 5)).ObjectId);
            Assert.Equal(4, index.ImageCount);
        }

        var state = index.State;
        Assert.Equal((4, 2, 2), (state.FileImages, state.LiveFileImages, state.MemoryImages));
        AssertAnswers();

        index.Merge();

        state = index.State;
        Assert.Equal((4, 4, 0, 0L), (state.FileImages, state.LiveFileImages, state.MemoryImages, state.MemoryRows));
        AssertAnswers();

        // Reopened (a restart): everything from the file, nothing read from the store.
        using var reopened = NewIndex();
        store.Reads = store.FullReads = 0;
        store.Open(reopened, PathOf);
        Assert.Equal((0, 0), (store.Reads, store.FullReads));
        Assert.Equal("object31", Assert.Single(reopened.Search(CloseUp(41), minInliers: 5)).ObjectId);
    }

    [Fact]
    public void Open_StoreChangedSinceTheFile_ReadsOnlyTheChangedPictures()
    {
        var store = new FakeStore();
        for (int seed = 50; seed < 54; seed++)
            store.Put("object" + seed, seed);
        using (var first = NewIndex())
            store.Open(first, PathOf);
        // Another process changed the store: one picture replaced, one added, one removed.
        store.Put("object50", 55);
        store.Put("new", 56);
        store.Rows.Remove(("object51", "object51-image"));
        store.Reads = store.FullReads = 0;

        using var index = NewIndex();
        store.Open(index, PathOf);

        Assert.Equal((2, 0), (store.Reads, store.FullReads));
        Assert.Equal("object50", Assert.Single(index.Search(CloseUp(55), minInliers: 5)).ObjectId);
        Assert.Equal("new", Assert.Single(index.Search(CloseUp(56), minInliers: 5)).ObjectId);
        Assert.Empty(index.Search(CloseUp(50), minInliers: 5));
        Assert.Empty(index.Search(CloseUp(51), minInliers: 5));
        Assert.Equal("object52", Assert.Single(index.Search(CloseUp(52), minInliers: 5)).ObjectId);
    }

    [Fact]
    public void Open_FileCutShortOrLeftHalfWritten_IsWrittenAgainFromTheStore()
    {
        var store = new FakeStore();
        for (int seed = 60; seed < 63; seed++)
            store.Put("object" + seed, seed);
        using (var first = NewIndex())
            store.Open(first, PathOf);
        var bytes = File.ReadAllBytes(PathOf);
        File.WriteAllBytes(PathOf, bytes[..(bytes.Length / 2)]);
        File.WriteAllBytes(KeypointFile.TemporaryPath(PathOf, 99_999_999), bytes[..1000]);   // a writer killed mid-way
        store.FullReads = 0;

        using var index = NewIndex();
        store.Open(index, PathOf);

        Assert.Equal(1, store.FullReads);
        Assert.Equal(bytes.Length, new FileInfo(PathOf).Length);
        Assert.False(File.Exists(KeypointFile.TemporaryPath(PathOf, 99_999_999)));
        Assert.Equal("object61", Assert.Single(index.Search(CloseUp(61), minInliers: 5)).ObjectId);
    }

    [Fact]
    public void Adds_BeyondTheMemoryLimit_AreMergedInTheBackground_WhileSearchesGoOn()
    {
        var store = new FakeStore();
        store.Put("object70", 70);
        using var index = new KeypointIndex(new KeypointMatchSettings()) { IdleMerge = TimeSpan.FromHours(1), MaxMemoryRows = 1 };
        store.Open(index, PathOf);
        for (int seed = 71; seed < 75; seed++)
        {
            index.Add("object" + seed, "object" + seed + "-image", KeypointDetector.Detect(Painting(seed), Catalogue), seed);
            // Whether the merge has finished or not, every picture is found.
            for (int s = 70; s <= seed; s++)
                Assert.Equal("object" + s, Assert.Single(index.Search(CloseUp(s), minInliers: 5)).ObjectId);
        }
        index.WaitForMerge();
        var state = index.State;
        Assert.Equal((5, 5, 0), (state.FileImages, state.LiveFileImages, state.MemoryImages));
        Assert.Null(state.LastMergeError);
    }

    [Fact]
    public void EmptyStore_StartsWithoutAFile_AndWritesOneWhenChangesPause()
    {
        var store = new FakeStore();
        using var index = new KeypointIndex(new KeypointMatchSettings()) { IdleMerge = TimeSpan.FromMilliseconds(50) };
        store.Open(index, PathOf);
        Assert.False(File.Exists(PathOf));
        index.Add("object80", "object80-image", KeypointDetector.Detect(Painting(80), Catalogue), 1);

        // A guard against a hang only: the idle timer may fire late on a loaded machine.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (index.State.MemoryImages > 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        index.WaitForMerge();

        Assert.Equal((1, 0), (index.State.LiveFileImages, index.State.MemoryImages));
        Assert.True(File.Exists(PathOf));
        Assert.Equal("object80", Assert.Single(index.Search(CloseUp(80), minInliers: 5)).ObjectId);
    }

    [Fact]
    public void InMemory_ManyRows_UseBucketStarts_AndAnswerAsFewRowsDo()
    {
        using var small = NewIndex();
        using var large = NewIndex();
        foreach (var index in new[] { small, large })
        {
            index.Add("painting", "p", KeypointDetector.Detect(Painting(90), Catalogue));
            index.Add("other", "o", KeypointDetector.Detect(Painting(91), Catalogue));
        }
        // Random corners, far from any painted one: past the row count from which the in-memory tables switch layout.
        for (int i = 0; i < 3; i++)
            large.Add("noise" + i, "n", KeypointFileTests.RandomSet(100_000, 92 + i));

        var fromSmall = Assert.Single(small.Search(CloseUp(90), minInliers: 5));
        var fromLarge = Assert.Single(large.Search(CloseUp(90), minInliers: 5));

        Assert.Equal(("painting", fromSmall.Inliers), (fromLarge.ObjectId, fromLarge.Inliers));
    }
}
