using System.Globalization;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage.Internal;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage;

/// <summary>
/// The embedded catalogue: SQLite (WAL) is the durable truth for records, images, embeddings,
/// keypoints and the audit log; the current model's vectors and every image's keypoints are also held
/// in memory for search. Every write for one object is a single transaction, so a crash leaves whole
/// objects only. Thread-safe: one connection behind a lock for SQL; the vector index
/// (<see cref="EmbeddedVectorIndex"/>) and the keypoint index lock themselves. Lock order is always SQL
/// lock, then an index's locks, and both indexes change under the SQL lock after the commit, so in the
/// same order as the database. The members are split by concern over the partial files
/// SqliteCatalogStore.*.cs: records, images, vectors, keypoints, whitening, text search, audit.
/// </summary>
public sealed partial class SqliteCatalogStore : ICatalogStore
{
    private readonly SqliteConnection _db;
    private readonly Lock _dbLock = new();
    private readonly EmbeddedVectorIndex _vectors;

    private SqliteCatalogStore(SqliteConnection db, string modelId, int dimension, EmbeddedIndexSettings settings)
    {
        _db = db;
        ModelId = modelId;
        Dimension = dimension;
        _vectors = new EmbeddedVectorIndex(dimension, settings)
        {
            SaveWhitening = StoreWhitening,
            PlainRows = ReadPlainRows,
            RowFilePath = settings.MapRows ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(db.DataSource))!, CacheFiles[0]) : null,
        };
        _keypointsOnDisk = settings.KeypointsOnDisk;
    }

    /// <summary>Files beside catalog.db that only cache what it holds (the embedded index's row file and inverted file, the keypoint file): a restore deletes them.</summary>
    internal static readonly string[] CacheFiles = ["vectors.rows", "vectors.rows.tmp", "vectors.rows.ivf", "vectors.rows.ivf.tmp", "vectors.rows.ivf.build", KeypointFileName];

    /// <summary>The model whose vectors this store writes and searches.</summary>
    public string ModelId { get; private set; }

    public int Dimension { get; private set; }

    public string DatabasePath => _db.DataSource;

    /// <summary>
    /// Opens or creates DIRECTORY/catalog.db and loads the vectors of <paramref name="modelId"/> into memory.
    /// Vectors of other models stay on disk and are never searched.
    /// </summary>
    public static SqliteCatalogStore Open(string directory, string modelId, int dimension) => Open(directory, modelId, dimension, null);

    /// <summary>
    /// As <see cref="Open(string, string, int)"/>, with the vectors in the index <paramref name="openIndex"/>
    /// opens for a model and dimension (a Qdrant collection) instead of the embedded one; null: embedded.
    /// </summary>
    public static SqliteCatalogStore Open(string directory, string modelId, int dimension, Func<string, int, IVectorIndex>? openIndex) =>
        Open(directory, modelId, dimension, openIndex, new EmbeddedIndexSettings());

    /// <summary>As <see cref="Open(string, string, int, Func{string, int, IVectorIndex}?)"/>, with the embedded index held as <paramref name="embedded"/> says.</summary>
    public static SqliteCatalogStore Open(string directory, string modelId, int dimension, Func<string, int, IVectorIndex>? openIndex, EmbeddedIndexSettings embedded)
    {
        ArgumentNullException.ThrowIfNull(embedded);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), "Dimension must be positive.");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The store keeps vectors as little-endian float32.");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "catalog.db");
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            db.Open();
            Sql.Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
            Schema.Migrate(db);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new InvalidDataException($"Cannot open the catalogue store {path}: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        var store = new SqliteCatalogStore(db, modelId, dimension, embedded);
        try
        {
            store.UseExternalIndex(openIndex);
            store.LoadIndex();
            store.LoadKeypoints();
            store.LoadSift();
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    public int ObjectCount
    {
        get
        {
            lock (_dbLock)
                return (int)Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM objects");
        }
    }

    public int VectorCount => Index.RowCount;

    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters) => Sql.Command(_db, sql, parameters);

    private int Run(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        lock (_dbLock)
            _db.Dispose();
        _vectors.Dispose();
        _external?.Dispose();
        _keypoints.Dispose();
    }
}
