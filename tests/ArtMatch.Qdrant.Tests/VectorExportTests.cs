using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Tests;

/// <summary><c>artmatch index export</c>'s copy: an embedded store's vectors into a Qdrant collection (the fake), resumable, and back.</summary>
public sealed class VectorExportTests : IDisposable
{
    private const int Dim = 8;
    private const string Model = "export-model";
    private readonly string _folder = Directory.CreateTempSubdirectory("artmatch-export-").FullName;

    private static NewImage Image(Random random, int rows = 3)
    {
        var bytes = new byte[24];
        random.NextBytes(bytes);
        return new NewImage(bytes, null, 10, 10, Enumerable.Range(0, rows).Select(_ =>
        {
            var v = Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            Pooling.L2Normalize(v);
            return v;
        }).ToList());
    }

    private SqliteCatalogStore EmbeddedStoreWith(int objects, int imagesEach, out List<NewImage> images)
    {
        var random = new Random(5);
        var store = SqliteCatalogStore.Open(_folder, Model, Dim);
        images = [];
        for (int o = 0; o < objects; o++)
        {
            var mine = Enumerable.Range(0, imagesEach).Select(_ => Image(random)).ToList();
            images.AddRange(mine);
            store.Upsert(new CulturalObject { ObjectId = $"O{o}", Registry = "ICOM", Status = ObjectStatus.Stolen }, mine);
        }
        return store;
    }

    [Fact]
    public void Copy_EmbeddedStore_EveryRowInTheCollectionSearchableAndARepeatCopiesNothing()
    {
        using var store = EmbeddedStoreWith(5, 2, out var images);
        var server = new FakeQdrant();
        using var target = QdrantVectorIndex.Open(server, "export", Model, Dim, new VectorIndexSettings { BatchSize = 4 });

        var first = VectorExport.Copy(store, target);
        var again = VectorExport.Copy(store, target);

        Assert.Equal((5, 10, 0, 30L), (first.Objects, first.ImagesCopied, first.ImagesPresent, first.Rows));
        Assert.Equal((0, 10), (again.ImagesCopied, again.ImagesPresent));
        Assert.Equal(30, server.PointCount("export"));
        Assert.Equal(store.SearchMany([images[7].Vectors[2]], 3, SearchFilter.None)[0].Select(h => (h.ObjectId, h.ImageId, h.Region)),
            target.SearchMany([images[7].Vectors[2]], 3, SearchFilter.None)[0].Select(h => (h.ObjectId, h.ImageId, h.Region)));
        Assert.All(server.Requests<UpsertPoints>(), u => Assert.True(u.Wait));
    }

    [Fact]
    public void Copy_InterruptedByTheServer_ResumesWithoutDuplicates()
    {
        using var store = EmbeddedStoreWith(6, 1, out _);
        var server = new FakeQdrant();
        using var target = QdrantVectorIndex.Open(server, "export", Model, Dim, new VectorIndexSettings());
        // The server goes away after three objects.
        var progress = new Core.SyncProgress<int>(done =>
        {
            if (done == 3)
                server.FailOn = ("/qdrant.Points/Upsert", StatusCode.Unavailable);
        });
        var e = Assert.Throws<VectorIndexException>(() => VectorExport.Copy(store, target, imagesDone: progress));
        Assert.True(e.Unavailable);
        Assert.Equal(9, server.PointCount("export"));

        server.FailOn = null;
        var resumed = VectorExport.Copy(store, target);

        Assert.Equal((3, 3), (resumed.ImagesPresent, resumed.ImagesCopied));
        Assert.Equal(18, server.PointCount("export"));
    }

    [Fact]
    public void Copy_StoreWrittenThroughQdrant_NoVectorsInSqlite_EmbedsThePicturesAgain()
    {
        var server = new FakeQdrant();
        var random = new Random(8);
        var image = Image(random);
        using (var written = SqliteCatalogStore.Open(_folder, Model, Dim, (m, d) => QdrantVectorIndex.Open(server, "first", m, d, new VectorIndexSettings())))
            written.Upsert(new CulturalObject { ObjectId = "Q" }, [image]);
        using var store = SqliteCatalogStore.Open(_folder, Model, Dim);   // embedded: SQLite kept no vectors
        Assert.Equal(0, store.VectorCount);
        using var target = QdrantVectorIndex.Open(server, "second", Model, Dim, new VectorIndexSettings());

        var without = VectorExport.Copy(store, target);
        var embedded = VectorExport.Copy(store, target, bytes => bytes.SequenceEqual(image.Encoded) ? image.Vectors : throw new InvalidOperationException());

        Assert.Equal((0, 1), (without.ImagesCopied, without.ImagesWithoutVectors));
        Assert.Equal((1, 1, 3L), (embedded.ImagesCopied, embedded.ImagesReembedded, embedded.Rows));
        Assert.Equal("Q", target.SearchMany([image.Vectors[1]], 1, SearchFilter.None)[0].Single().ObjectId);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
