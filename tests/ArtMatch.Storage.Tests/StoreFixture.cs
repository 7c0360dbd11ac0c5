using System.Collections;
using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Keypoints;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Tests;

/// <summary>A fresh store in its own temp folder per test, and helpers for records and vectors.</summary>
public sealed class TempStore : IDisposable
{
    public const string Model = "test-model";
    public const int Dim = 1280;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("artmatch-store-").FullName;

    public string DatabasePath => Path.Combine(Directory, "catalog.db");

    public SqliteCatalogStore Open(string model = Model, int dim = Dim) => SqliteCatalogStore.Open(Directory, model, dim);

    /// <summary>The store with its embedded index held as <paramref name="compact"/> says (false: float rows and exact whitened scores).</summary>
    public SqliteCatalogStore Open(bool compact, string model = Model, int dim = Dim) =>
        SqliteCatalogStore.Open(Directory, model, dim, null, new ArtMatch.Core.Configuration.EmbeddedIndexSettings { Compact = compact });

    /// <summary>A separate raw connection to the store's file, to check what is really on disk.</summary>
    public RawDatabase Raw() => new(DatabasePath);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static float[] UnitVector(Random random, int dim = Dim)
    {
        var v = new float[dim];
        for (int i = 0; i < dim; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        Pooling.L2Normalize(v);
        return v;
    }

    public static NewImage Image(Random random, string label, int vectors = 1, int dim = Dim)
    {
        var bytes = new byte[64];
        random.NextBytes(bytes);
        return new NewImage(bytes, label, 640, 480, Enumerable.Range(0, vectors).Select(_ => UnitVector(random, dim)).ToList());
    }

    /// <summary>An image whose vectors pass validation (enumeration) but fail when the store reads them to write.</summary>
    public static NewImage FailingImage(Random random, int dim = Dim)
    {
        var vectors = new VectorsFailingOnRead([UnitVector(random, dim)]);
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new NewImage(bytes, "failing", 10, 10, vectors);
    }

    private sealed class VectorsFailingOnRead(IReadOnlyList<float[]> vectors) : IReadOnlyList<float[]>
    {
        public float[] this[int index] => throw new IOException("simulated failure while writing vectors");

        public int Count => vectors.Count;

        public IEnumerator<float[]> GetEnumerator() => vectors.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public static CulturalObject Record(string id, string? registry = "INTERPOL", ObjectStatus status = ObjectStatus.Stolen, string? type = "painting", string? country = "FR") =>
        new() { ObjectId = id, Registry = registry, Status = status, ObjectType = type, Country = country, Title = "Title " + id };
}

/// <summary>Synthetic pictures with real keypoints: random grey blocks give many distinct corners.</summary>
public static class Textures
{
    /// <summary>A pseudo-random pattern of 5x5 grey blocks; each seed gives a different picture.</summary>
    public static GreyImage Blocks(int seed, int width = 200, int height = 160)
    {
        const int block = 5;
        var random = new Random(seed);
        int columns = (width + block - 1) / block;
        var levels = new byte[columns * ((height + block - 1) / block)];
        random.NextBytes(levels);
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = levels[y / block * columns + x / block];
        }
        return new GreyImage(width, height, pixels);
    }

    /// <summary>The 90x90 middle of <paramref name="image"/>: a photo showing part of the picture.</summary>
    public static GreyImage MiddleCrop(GreyImage image, int size = 90) =>
        image.Crop(new ArtMatch.Core.Imaging.PixelRect((image.Width - size) / 2, (image.Height - size) / 2, size, size));

    public static KeypointSet Keypoints(GreyImage image) => KeypointDetector.Detect(image, new KeypointSettings());

    /// <summary>A stored image (with random bytes and <paramref name="dim"/>-d vectors) carrying the keypoints of texture <paramref name="seed"/>.</summary>
    public static NewImage Image(Random random, int seed, int dim = 8) =>
        TempStore.Image(random, $"texture-{seed}", vectors: 2, dim: dim) with { Keypoints = Keypoints(Blocks(seed)) };
}

/// <summary>One stored vector as the naive reference sees it.</summary>
public sealed record ReferenceRow(string ObjectId, string ImageId, int Region, float[] Vector);

/// <summary>The obvious search: every row's dot product, best row per object, top k by score then object id.</summary>
public static class NaiveSearch
{
    public static List<VectorHit> TopK(IEnumerable<ReferenceRow> rows, float[] query, int k, Func<ReferenceRow, bool>? where = null) =>
        rows.Where(r => where?.Invoke(r) ?? true)
            .Select(r => new VectorHit(r.ObjectId, r.ImageId, r.Region, TensorPrimitives.Dot(query, r.Vector)))
            .GroupBy(h => h.ObjectId)
            .Select(g => g.Aggregate((best, h) => h.Score > best.Score ? h : best))
            .OrderByDescending(h => h.Score).ThenBy(h => h.ObjectId, StringComparer.Ordinal)
            .Take(k).ToList();

    public static IEnumerable<ReferenceRow> Rows(string objectId, IEnumerable<NewImage> images) =>
        images.SelectMany(i => i.Vectors.Select((v, region) => new ReferenceRow(objectId, i.ImageId, region, v)));

    /// <summary>Same objects, images and regions in the same order; scores equal up to float summation order.</summary>
    public static void AssertSame(IReadOnlyList<VectorHit> expected, IReadOnlyList<VectorHit> actual)
    {
        Assert.Equal(expected.Select(h => (h.ObjectId, h.ImageId, h.Region)), actual.Select(h => (h.ObjectId, h.ImageId, h.Region)));
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i].Score, actual[i].Score, 1e-5f);
    }
}

/// <summary>A read-only connection of its own to a store's database file.</summary>
public sealed class RawDatabase(string path) : IDisposable
{
    private readonly SqliteConnection _connection = Open(path);

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    public object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public long Count(string table) => (long)Scalar($"SELECT COUNT(*) FROM {table}")!;

    public void Dispose() => _connection.Dispose();
}
