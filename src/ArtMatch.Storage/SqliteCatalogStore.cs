using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ArtMatch.Core.Catalog;
using ArtMatch.Storage.Internal;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage;

/// <summary>
/// The embedded catalogue: SQLite (WAL) is the durable truth for records, images, embeddings and the
/// audit log; the current model's vectors are also held in memory for exact search. Every write for
/// one object is a single transaction, so a crash leaves whole objects only. Thread-safe: one
/// connection behind a lock for SQL, a reader-writer lock for the in-memory index.
/// </summary>
public sealed class SqliteCatalogStore : ICatalogStore
{
    private const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions RecordJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly SqliteConnection _db;
    private readonly Lock _dbLock = new();
    private readonly ReaderWriterLockSlim _indexLock = new();
    private VectorIndex _index;

    private SqliteCatalogStore(SqliteConnection db, string modelId, int dimension)
    {
        _db = db;
        ModelId = modelId;
        Dimension = dimension;
        _index = new VectorIndex(dimension);
    }

    public string ModelId { get; private set; }

    public int Dimension { get; private set; }

    public string DatabasePath => _db.DataSource;

    /// <summary>Opens or creates DIR/catalog.db and loads the vectors of <paramref name="modelId"/>.</summary>
    public static SqliteCatalogStore Open(string directory, string modelId, int dimension)
    {
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), "Dimension must be positive.");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "catalog.db");
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            db.Open();
            Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
            CreateSchema(db);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new InvalidDataException($"Cannot open the catalogue store {path}: {e.Message}", e);
        }
        var store = new SqliteCatalogStore(db, modelId, dimension);
        store.LoadIndex();
        return store;
    }

    private static void CreateSchema(SqliteConnection db)
    {
        long version = Scalar<long>(db, "PRAGMA user_version");
        if (version > SchemaVersion)
            throw new InvalidDataException($"The store was written by a newer ArtMatch (schema {version}; this one knows {SchemaVersion}).");
        if (version == SchemaVersion)
            return;
        Execute(db, """
            BEGIN;
            CREATE TABLE objects (
                object_id TEXT PRIMARY KEY,
                record TEXT NOT NULL,
                registry TEXT, status TEXT NOT NULL, object_type TEXT, country TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE INDEX objects_registry ON objects(registry);
            CREATE TABLE images (
                object_id TEXT NOT NULL REFERENCES objects(object_id) ON DELETE CASCADE,
                image_id TEXT NOT NULL,
                label TEXT, width INTEGER NOT NULL, height INTEGER NOT NULL,
                bytes BLOB NOT NULL, added_at TEXT NOT NULL,
                PRIMARY KEY (object_id, image_id));
            CREATE INDEX images_image ON images(image_id);
            CREATE TABLE vectors (
                object_id TEXT NOT NULL, image_id TEXT NOT NULL, model_id TEXT NOT NULL, region INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (model_id, object_id, image_id, region),
                FOREIGN KEY (object_id, image_id) REFERENCES images(object_id, image_id) ON DELETE CASCADE);
            CREATE VIRTUAL TABLE objects_fts USING fts5(object_id UNINDEXED, title, maker, inscriptions, description, tokenize = 'unicode61 remove_diacritics 2');
            CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL, object_id TEXT, detail TEXT);
            PRAGMA user_version = 1;
            COMMIT;
            """);
    }

    private void LoadIndex()
    {
        var index = new VectorIndex(Dimension);
        lock (_dbLock)
        {
            using (var objects = Command("SELECT record FROM objects ORDER BY rowid"))
            using (var reader = objects.ExecuteReader())
            {
                while (reader.Read())
                    index.SetObject(Deserialize(reader.GetString(0)));
            }
            using var vectors = Command("SELECT object_id, image_id, region, data FROM vectors WHERE model_id = $model ORDER BY rowid", ("$model", ModelId));
            using var rows = vectors.ExecuteReader();
            while (rows.Read())
            {
                var data = (byte[])rows.GetValue(3);
                if (data.Length != Dimension * sizeof(float))
                    throw new InvalidDataException($"Store vectors of {ModelId} have {data.Length / 4} dimensions, not {Dimension}: run reembed.");
                index.Add(rows.GetString(0), rows.GetString(1), rows.GetInt32(2), MemoryMarshal.Cast<byte, float>(data));
            }
        }
        _indexLock.EnterWriteLock();
        try
        {
            _index = index;
        }
        finally
        {
            _indexLock.ExitWriteLock();
        }
    }

    public int ObjectCount
    {
        get
        {
            lock (_dbLock)
                return (int)Scalar<long>(_db, "SELECT COUNT(*) FROM objects");
        }
    }

    public int VectorCount => ReadIndex(index => index.RowCount);

    public UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images) => Upsert(record, images, actor: null);

    public UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images, string? actor)
    {
        Validate(record, images);
        UpsertResult result;
        List<NewImage> stored;
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            bool created = Scalar<long>(_db, "SELECT COUNT(*) FROM objects WHERE object_id = $id", ("$id", record.ObjectId)) == 0;
            string now = DateTime.UtcNow.ToString("O");
            Run("""
                INSERT INTO objects (object_id, record, registry, status, object_type, country, created_at, updated_at)
                VALUES ($id, $record, $registry, $status, $type, $country, $now, $now)
                ON CONFLICT(object_id) DO UPDATE SET record = excluded.record, registry = excluded.registry, status = excluded.status,
                    object_type = excluded.object_type, country = excluded.country, updated_at = excluded.updated_at
                """, ("$id", record.ObjectId), ("$record", JsonSerializer.Serialize(record, RecordJson)), ("$registry", record.Registry),
                ("$status", record.Status.ToString()), ("$type", record.ObjectType), ("$country", record.Country), ("$now", now));
            Run("DELETE FROM objects_fts WHERE object_id = $id", ("$id", record.ObjectId));
            Run("INSERT INTO objects_fts (object_id, title, maker, inscriptions, description) VALUES ($id, $title, $maker, $inscriptions, $description)",
                ("$id", record.ObjectId), ("$title", record.Title), ("$maker", record.Maker), ("$inscriptions", record.InscriptionsAndMarkings),
                ("$description", string.Join(' ', new[] { record.Description, record.DistinguishingFeatures, record.Subject }.Where(s => !string.IsNullOrEmpty(s)))));
            (stored, int present) = InsertImages(record.ObjectId, images, now);
            Audit(actor, created ? "create" : "update", record.ObjectId, $"{stored.Count} images added, {present} already present");
            transaction.Commit();
            result = new UpsertResult(record.ObjectId, created, stored.Count, present);
        }
        WriteIndex(index =>
        {
            index.SetObject(record);
            AddRows(index, record.ObjectId, stored);
        });
        return result;
    }

    public UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images) => AddImages(objectId, images, actor: null);

    public UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images, string? actor)
    {
        Validate(new CulturalObject { ObjectId = objectId }, images);
        List<NewImage> stored;
        int present;
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            if (Scalar<long>(_db, "SELECT COUNT(*) FROM objects WHERE object_id = $id", ("$id", objectId)) == 0)
                throw new KeyNotFoundException($"No object '{objectId}' in the catalogue.");
            (stored, present) = InsertImages(objectId, images, DateTime.UtcNow.ToString("O"));
            Audit(actor, "add_images", objectId, $"{stored.Count} images added, {present} already present");
            transaction.Commit();
        }
        WriteIndex(index => AddRows(index, objectId, stored));
        return new UpsertResult(objectId, false, stored.Count, present);
    }

    /// <summary>Inserts images not yet stored for the object, with their vectors of the current model.</summary>
    private (List<NewImage> Stored, int Present) InsertImages(string objectId, IReadOnlyList<NewImage> images, string now)
    {
        var stored = new List<NewImage>();
        int present = 0;
        foreach (var image in images.DistinctBy(i => i.ImageId))
        {
            if (ContainsImageLocked(objectId, image.ImageId))
            {
                present++;
                continue;
            }
            Run("""
                INSERT INTO images (object_id, image_id, label, width, height, bytes, added_at) VALUES ($object, $image, $label, $w, $h, $bytes, $now)
                ON CONFLICT DO NOTHING
                """, ("$object", objectId), ("$image", image.ImageId), ("$label", image.Label), ("$w", image.Width), ("$h", image.Height),
                ("$bytes", image.Encoded), ("$now", now));
            for (int region = 0; region < image.Vectors.Count; region++)
            {
                Run("INSERT OR REPLACE INTO vectors (object_id, image_id, model_id, region, data) VALUES ($object, $image, $model, $region, $data)",
                    ("$object", objectId), ("$image", image.ImageId), ("$model", ModelId), ("$region", region),
                    ("$data", MemoryMarshal.AsBytes(image.Vectors[region].AsSpan()).ToArray()));
            }
            stored.Add(image);
        }
        return (stored, present);
    }

    private static void AddRows(VectorIndex index, string objectId, List<NewImage> images)
    {
        foreach (var image in images)
        {
            for (int region = 0; region < image.Vectors.Count; region++)
                index.Add(objectId, image.ImageId, region, image.Vectors[region]);
        }
    }

    private void Validate(CulturalObject record, IReadOnlyList<NewImage> images)
    {
        if (string.IsNullOrWhiteSpace(record.ObjectId))
            throw new ArgumentException("An object needs a non-empty object_id.");
        foreach (var image in images)
        {
            if (image.Vectors.Count == 0)
                throw new ArgumentException($"Image {image.ImageId[..12]} has no embedding.");
            foreach (var vector in image.Vectors)
            {
                if (vector.Length != Dimension)
                    throw new ArgumentException($"Image {image.ImageId[..12]} has a {vector.Length}-d vector; the store holds {Dimension}-d vectors of {ModelId}.");
            }
        }
    }

    public bool Delete(string objectId) => Delete(objectId, actor: null);

    public bool Delete(string objectId, string? actor)
    {
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            Run("DELETE FROM objects_fts WHERE object_id = $id", ("$id", objectId));
            int deleted = Run("DELETE FROM objects WHERE object_id = $id", ("$id", objectId));
            if (deleted == 0)
                return false;
            Audit(actor, "delete", objectId, null);
            transaction.Commit();
        }
        WriteIndex(index => index.Remove(objectId));
        return true;
    }

    public CulturalObject? Get(string objectId)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT record FROM objects WHERE object_id = $id", ("$id", objectId));
            return command.ExecuteScalar() is string json ? Deserialize(json) : null;
        }
    }

    public IReadOnlyList<ObjectImage> GetImages(string objectId)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT image_id, label, width, height FROM images WHERE object_id = $id ORDER BY rowid", ("$id", objectId));
            using var reader = command.ExecuteReader();
            var images = new List<ObjectImage>();
            while (reader.Read())
                images.Add(new ObjectImage(reader.GetString(0), objectId, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3)));
            return images;
        }
    }

    public byte[]? GetImageBytes(string imageId)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT bytes FROM images WHERE image_id = $id LIMIT 1", ("$id", imageId));
            return command.ExecuteScalar() as byte[];
        }
    }

    /// <summary>True when the object holds this image with vectors of the current model.</summary>
    public bool ContainsImage(string objectId, string imageId)
    {
        lock (_dbLock)
            return ContainsImageLocked(objectId, imageId);
    }

    private bool ContainsImageLocked(string objectId, string imageId) =>
        Scalar<long>(_db, "SELECT COUNT(*) FROM vectors WHERE model_id = $model AND object_id = $object AND image_id = $image",
            ("$model", ModelId), ("$object", objectId), ("$image", imageId)) > 0;

    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter)
    {
        _indexLock.EnterReadLock();
        try
        {
            return _index.Search(query, k, filter);
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    public IReadOnlyList<CulturalObject> SearchText(string? text, SearchFilter filter, int limit)
    {
        var sql = new StringBuilder();
        var parameters = new List<(string, object?)>();
        var terms = FtsQuery(text);
        if (terms is null)
            sql.Append("SELECT o.record FROM objects o WHERE 1 = 1");
        else
        {
            sql.Append("SELECT o.record FROM objects_fts f JOIN objects o ON o.object_id = f.object_id WHERE objects_fts MATCH $q");
            parameters.Add(("$q", terms));
        }
        AddIn(sql, parameters, "o.registry", filter.Registries);
        AddIn(sql, parameters, "o.status", filter.Statuses?.Select(s => s.ToString()).ToList());
        AddIn(sql, parameters, "o.object_type", filter.ObjectTypes);
        AddIn(sql, parameters, "o.country", filter.Countries);
        sql.Append(terms is null ? " ORDER BY o.object_id" : " ORDER BY f.rank").Append(" LIMIT $limit");
        parameters.Add(("$limit", Math.Max(0, limit)));
        lock (_dbLock)
        {
            using var command = Command(sql.ToString(), [.. parameters]);
            using var reader = command.ExecuteReader();
            var found = new List<CulturalObject>();
            while (reader.Read())
                found.Add(Deserialize(reader.GetString(0)));
            return found;
        }
    }

    /// <summary>User words as quoted FTS5 terms joined by AND; FTS syntax in the input has no effect. Null when there are no words.</summary>
    internal static string? FtsQuery(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text + " ")
        {
            if (char.IsLetterOrDigit(c))
                word.Append(c);
            else if (word.Length > 0)
            {
                words.Add("\"" + word + "\"");
                word.Clear();
            }
        }
        return words.Count == 0 ? null : string.Join(" ", words);
    }

    private static void AddIn(StringBuilder sql, List<(string, object?)> parameters, string column, IReadOnlyCollection<string>? values)
    {
        if (values is null)
            return;
        var names = values.Select((v, i) =>
        {
            string name = $"${column.Replace('.', '_')}{i}";
            parameters.Add((name, v));
            return name;
        }).ToList();
        sql.Append(names.Count == 0 ? " AND 0" : $" AND {column} IN ({string.Join(", ", names)})");
    }

    public IEnumerable<(string ImageId, byte[] Encoded)> EnumerateImages()
    {
        List<string> ids;
        lock (_dbLock)
        {
            using var command = Command("SELECT DISTINCT image_id FROM images ORDER BY image_id");
            using var reader = command.ExecuteReader();
            ids = [];
            while (reader.Read())
                ids.Add(reader.GetString(0));
        }
        foreach (var id in ids)
        {
            if (GetImageBytes(id) is { } bytes)
                yield return (id, bytes);
        }
    }

    public void ReplaceEmbeddings(string modelId, int dimension, IEnumerable<(string ImageId, IReadOnlyList<float[]> Vectors)> vectors)
    {
        var all = vectors.ToList();
        if (all.SelectMany(v => v.Vectors).Any(v => v.Length != dimension))
            throw new ArgumentException($"Every vector must have {dimension} dimensions.");
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            Run("DELETE FROM vectors");
            foreach (var (imageId, imageVectors) in all)
            {
                using var owners = Command("SELECT object_id FROM images WHERE image_id = $id", ("$id", imageId));
                using var reader = owners.ExecuteReader();
                var objectIds = new List<string>();
                while (reader.Read())
                    objectIds.Add(reader.GetString(0));
                reader.Close();
                foreach (var objectId in objectIds)
                {
                    for (int region = 0; region < imageVectors.Count; region++)
                    {
                        Run("INSERT INTO vectors (object_id, image_id, model_id, region, data) VALUES ($object, $image, $model, $region, $data)",
                            ("$object", objectId), ("$image", imageId), ("$model", modelId), ("$region", region),
                            ("$data", MemoryMarshal.AsBytes(imageVectors[region].AsSpan()).ToArray()));
                    }
                }
            }
            Audit(null, "reembed", null, $"{all.Count} images with {modelId}");
            transaction.Commit();
            ModelId = modelId;
            Dimension = dimension;
        }
        LoadIndex();
    }

    /// <summary>Appends to the audit log (in the caller's transaction when there is one).</summary>
    private void Audit(string? actor, string action, string? objectId, string? detail) =>
        Run("INSERT INTO audit_log (at, actor, action, object_id, detail) VALUES ($at, $actor, $action, $object, $detail)",
            ("$at", DateTime.UtcNow.ToString("O")), ("$actor", actor), ("$action", action), ("$object", objectId), ("$detail", detail));

    public IReadOnlyList<(DateTime At, string? Actor, string Action, string? ObjectId, string? Detail)> AuditLog(int limit = 100)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT at, actor, action, object_id, detail FROM audit_log ORDER BY id DESC LIMIT $limit", ("$limit", limit));
            using var reader = command.ExecuteReader();
            var entries = new List<(DateTime, string?, string, string?, string?)>();
            while (reader.Read())
            {
                entries.Add((DateTime.Parse(reader.GetString(0), null, System.Globalization.DateTimeStyles.RoundtripKind),
                    reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
            return entries;
        }
    }

    private T ReadIndex<T>(Func<VectorIndex, T> read)
    {
        _indexLock.EnterReadLock();
        try
        {
            return read(_index);
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    private void WriteIndex(Action<VectorIndex> write)
    {
        _indexLock.EnterWriteLock();
        try
        {
            write(_index);
        }
        finally
        {
            _indexLock.ExitWriteLock();
        }
    }

    private static CulturalObject Deserialize(string json) =>
        JsonSerializer.Deserialize<CulturalObject>(json, RecordJson) ?? throw new InvalidDataException("A stored record is empty.");

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private int Run(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection db, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        lock (_dbLock)
            _db.Dispose();
        _indexLock.Dispose();
    }
}
