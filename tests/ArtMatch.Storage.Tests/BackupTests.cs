using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage.Tests;

/// <summary>Online backup while the store is written, and restore into a fresh or existing folder.</summary>
public sealed class BackupTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("artmatch-backup-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static CulturalObject Record(string id) => new() { ObjectId = id, Title = $"Title {id}" };

    [Fact]
    public async Task Backup_WhileAnotherThreadWrites_CopyOpensWithEveryObjectItCounted_RestoreServesIt()
    {
        using var temp = new TempStore();
        var random = new Random(5);
        using (var store = temp.Open())
        {
            for (int i = 0; i < 20; i++)
                store.Upsert(Record($"B-{i}"), [TempStore.Image(random, "front")]);
            using var stop = new CancellationTokenSource();
            var firstWrite = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writer = Task.Run(() =>
            {
                int n = 100;
                var writes = new Random(6);
                while (!stop.IsCancellationRequested)
                {
                    store.Upsert(Record($"W-{n++}"), [TempStore.Image(writes, "front")]);
                    firstWrite.TrySetResult();
                }
                return n - 100;
            });
            // The backups must overlap the writer's work, not finish before its first write.
            await firstWrite.Task;
            string file = Path.Combine(_out, "backup.db");
            var summaries = Enumerable.Range(0, 3).Select(_ => StoreBackup.Backup(temp.Directory, file)).ToList();
            await stop.CancelAsync();
            int written = await writer;

            Assert.True(written > 0);
            Assert.All(summaries, s => Assert.InRange(s.Objects, 20, 20 + written));
        }
        string restored = Path.Combine(_out, "restored");

        var summary = StoreBackup.Restore(Path.Combine(_out, "backup.db"), restored, replace: false);
        using var reopened = SqliteCatalogStore.Open(restored, TempStore.Model, TempStore.Dim);

        Assert.Equal(summary.Objects, reopened.ObjectCount);
        Assert.NotNull(reopened.Get("B-19"));
    }

    [Fact]
    public void Restore_OverAnExistingStoreWithoutReplace_Refused_WithReplace_Overwritten()
    {
        using var source = new TempStore();
        using var target = new TempStore();
        var random = new Random(7);
        using (var store = source.Open())
            store.Upsert(Record("SRC-1"), [TempStore.Image(random, "front")]);
        using (var store = target.Open())
            store.Upsert(Record("OLD-1"), [TempStore.Image(random, "front")]);
        string file = Path.Combine(_out, "b.db");
        StoreBackup.Backup(source.Directory, file);

        var refused = Assert.Throws<IOException>(() => StoreBackup.Restore(file, target.Directory, replace: false));
        StoreBackup.Restore(file, target.Directory, replace: true);
        using var reopened = target.Open();

        Assert.Contains("--replace", refused.Message);
        Assert.NotNull(reopened.Get("SRC-1"));
        Assert.Null(reopened.Get("OLD-1"));
    }

    [Fact]
    public void Restore_NotADatabase_RefusedBeforeTouchingTheStore()
    {
        string junk = Path.Combine(_out, "junk.db");
        File.WriteAllText(junk, "not sqlite at all, just text that is long enough to be read as a header....");

        var error = Assert.Throws<InvalidDataException>(() => StoreBackup.Restore(junk, Path.Combine(_out, "s"), replace: false));

        Assert.Contains("not an ArtMatch store", error.Message);
        Assert.False(File.Exists(Path.Combine(_out, "s", "catalog.db")));
    }
}
