using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Tests;

/// <summary>A fresh store in its own temp folder per test, and helpers for records and vectors.</summary>
public sealed class TempStore : IDisposable
{
    public const string Model = "test-model";
    public const int Dim = 1280;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("artmatch-store-").FullName;

    public SqliteCatalogStore Open(string model = Model, int dim = Dim) => SqliteCatalogStore.Open(Directory, model, dim);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
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

    public static CulturalObject Record(string id, string? registry = "INTERPOL", ObjectStatus status = ObjectStatus.Stolen, string? type = "painting", string? country = "FR") =>
        new() { ObjectId = id, Registry = registry, Status = status, ObjectType = type, Country = country, Title = "Title " + id };
}
