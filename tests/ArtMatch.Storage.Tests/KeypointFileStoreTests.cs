using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Storage.Tests;

/// <summary>The store's keypoints kept in keypoints.idx beside catalog.db: written for an older store, rewritten after a crash, kept current.</summary>
public class KeypointFileStoreTests
{
    private const int Dim = 8;
    private const int MinInliers = 6;

    private static KeypointSet CropOf(int seed) => Textures.Keypoints(Textures.MiddleCrop(Textures.Blocks(seed)));

    private static IReadOnlyList<string> Find(SqliteCatalogStore store, int seed) =>
        store.SearchKeypoints(CropOf(seed), MinInliers, top: 5, SearchFilter.None).Select(c => c.ObjectId).ToList();

    private static string FileOf(TempStore temp) => Path.Combine(temp.Directory, SqliteCatalogStore.KeypointFileName);

    [Fact]
    public void Open_StoreWithoutAKeypointFile_WritesIt_AndSearchesFromIt()
    {
        using var temp = new TempStore();
        var random = new Random(21);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);
            store.Upsert(TempStore.Record("B"), [Textures.Image(random, seed: 2)]);
        }
        // As a store written before the keypoint file existed (or whose file was deleted).
        File.Delete(FileOf(temp));

        using var reopened = temp.Open(dim: Dim);

        Assert.True(File.Exists(FileOf(temp)));
        var state = reopened.KeypointState;
        Assert.Equal((2, 2, 0), (state.FileImages, state.LiveFileImages, state.MemoryImages));
        Assert.Equal(["A"], Find(reopened, seed: 1));
        Assert.Equal(["B"], Find(reopened, seed: 2));
    }

    [Fact]
    public void Open_KeypointFileCutShortWithATemporaryFileBeside_AsAKillDuringAWriteLeavesIt_RewritesIt()
    {
        using var temp = new TempStore();
        var random = new Random(22);
        using (var store = temp.Open(dim: Dim))
            store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);
        File.Delete(FileOf(temp));
        using (temp.Open(dim: Dim))
        {
        }
        var whole = File.ReadAllBytes(FileOf(temp));
        File.WriteAllBytes(FileOf(temp), whole[..(whole.Length - 100)]);
        File.WriteAllBytes(KeypointFile.TemporaryPath(FileOf(temp), 99_999_999), whole[..4096]);

        using var reopened = temp.Open(dim: Dim);

        Assert.Equal(whole.Length, new FileInfo(FileOf(temp)).Length);
        Assert.False(File.Exists(KeypointFile.TemporaryPath(FileOf(temp), 99_999_999)));
        Assert.Equal(["A"], Find(reopened, seed: 1));
    }

    [Fact]
    public void EnrolmentAndDeletion_AfterTheFileWasWritten_AreSearchedAtOnce_AndAfterReopening()
    {
        using var temp = new TempStore();
        var random = new Random(23);
        using (var store = temp.Open(dim: Dim))
        {
            store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);
            store.Upsert(TempStore.Record("B"), [Textures.Image(random, seed: 2)]);
        }
        File.Delete(FileOf(temp));
        using (var store = temp.Open(dim: Dim))
        {
            Assert.Equal(2, store.KeypointState.LiveFileImages);
            store.Upsert(TempStore.Record("C"), [Textures.Image(random, seed: 3)]);
            Assert.True(store.Delete("A"));

            Assert.Empty(Find(store, seed: 1));
            Assert.Equal(["B"], Find(store, seed: 2));
            Assert.Equal(["C"], Find(store, seed: 3));
        }

        using var reopened = temp.Open(dim: Dim);

        Assert.Empty(Find(reopened, seed: 1));
        Assert.Equal(["B"], Find(reopened, seed: 2));
        Assert.Equal(["C"], Find(reopened, seed: 3));
        var state = reopened.KeypointState;
        Assert.Equal(2, state.LiveFileImages + state.MemoryImages);
    }

    [Fact]
    public void SetKeypoints_OnAStoreWithAFile_ReplacesThePictureForSearchAndAfterReopening()
    {
        using var temp = new TempStore();
        var random = new Random(24);
        var image = Textures.Image(random, seed: 1);
        using (var store = temp.Open(dim: Dim))
            store.Upsert(TempStore.Record("A"), [image]);
        File.Delete(FileOf(temp));
        using (var store = temp.Open(dim: Dim))
        {
            Assert.True(store.SetKeypoints(image.ImageId, Textures.Keypoints(Textures.Blocks(5))));
            Assert.Empty(Find(store, seed: 1));
            Assert.Equal(["A"], Find(store, seed: 5));
        }

        using var reopened = temp.Open(dim: Dim);

        Assert.Empty(Find(reopened, seed: 1));
        Assert.Equal(["A"], Find(reopened, seed: 5));
    }

    [Fact]
    public void KeypointsOnDiskOff_WritesNoFile()
    {
        using var temp = new TempStore();
        var random = new Random(25);
        using var store = SqliteCatalogStore.Open(temp.Directory, TempStore.Model, Dim, null,
            new ArtMatch.Core.Configuration.EmbeddedIndexSettings { KeypointsOnDisk = false });
        store.Upsert(TempStore.Record("A"), [Textures.Image(random, seed: 1)]);

        Assert.Equal(["A"], Find(store, seed: 1));
        Assert.False(File.Exists(FileOf(temp)));
        Assert.Null(store.KeypointState.Path);
    }

    [Fact]
    public void Open_KilledWhileWritingTheKeypointFile_NextOpeningWritesItAndAnswersTheSame()
    {
        using var temp = new TempStore();
        var random = new Random(26);
        using (var store = temp.Open(dim: Dim))
        {
            for (int seed = 1; seed <= 3; seed++)
                store.Upsert(TempStore.Record($"O{seed}"), [Textures.Image(random, seed)]);
        }
        File.Delete(FileOf(temp));   // as a store written before the keypoint file: the next opening writes it

        // A child process opens the store and is killed (SIGKILL) once two pictures went to the temporary file.
        var child = Program.StartStopped("keypoints", temp.Directory, $"{Dim}", "2");
        string leftover = KeypointFile.TemporaryPath(FileOf(temp), child.Id);
        child.Kill();
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(137, child.ExitCode);   // 128 + 9: killed by SIGKILL
        child.Dispose();
        Assert.False(File.Exists(FileOf(temp)));
        Assert.True(File.Exists(leftover));

        using var reopened = temp.Open(dim: Dim);

        Assert.True(File.Exists(FileOf(temp)));
        Assert.False(File.Exists(leftover));
        Assert.Equal(3, reopened.KeypointState.LiveFileImages);
        for (int seed = 1; seed <= 3; seed++)
            Assert.Equal([$"O{seed}"], Find(reopened, seed));
    }
}
