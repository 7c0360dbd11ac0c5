using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Keypoints;
using ArtMatch.Storage.Internal;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage;

/// <summary>
/// The embedded catalogue: SQLite (WAL) is the durable truth for records, images, embeddings,
/// keypoints and the audit log; the current model's vectors and every image's keypoints are also held
/// in memory for search. Every write for one object is a single transaction, so a crash leaves whole
/// objects only. Thread-safe: one connection behind a lock for SQL, a reader-writer lock for the
/// in-memory vector index (the keypoint index locks itself). Lock order is always SQL lock, then index
/// lock, and both indexes change under the SQL lock after the commit, so in the same order as the database.
/// </summary>
public sealed class SqliteCatalogStore : ICatalogStore
{
    private readonly SqliteConnection _db;
    private readonly Lock _dbLock = new();
    private readonly ReaderWriterLockSlim _indexLock = new();
    private VectorIndex _index;
    private readonly KeypointIndex _keypoints = new(new KeypointMatchSettings());

    private SqliteCatalogStore(SqliteConnection db, string modelId, int dimension)
    {
        _db = db;
        ModelId = modelId;
        Dimension = dimension;
        _index = new VectorIndex(dimension);
    }

    /// <summary>The model whose vectors this store writes and searches.</summary>
    public string ModelId { get; private set; }

    public int Dimension { get; private set; }

    public string DatabasePath => _db.DataSource;

    /// <summary>
    /// Opens or creates DIRECTORY/catalog.db and loads the vectors of <paramref name="modelId"/> into memory.
    /// Vectors of other models stay on disk and are never searched.
    /// </summary>
    public static SqliteCatalogStore Open(string directory, string modelId, int dimension)
    {
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
        var store = new SqliteCatalogStore(db, modelId, dimension);
        try
        {
            store.LoadIndex();
            store.LoadKeypoints();
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    /// <summary>Rebuilds the in-memory index from the database (records, then vectors of the current model).</summary>
    private void LoadIndex()
    {
        lock (_dbLock)
        {
            var index = new VectorIndex(Dimension);
            using (var objects = Command($"SELECT {ObjectRows.Columns} FROM objects ORDER BY rowid"))
            using (var reader = objects.ExecuteReader())
            {
                while (reader.Read())
                    index.SetObject(ObjectRows.Read(reader));
            }
            using var vectors = Command("SELECT object_id, image_id, region, dimension, data FROM vectors WHERE model_id = $model ORDER BY rowid", ("$model", ModelId));
            using var rows = vectors.ExecuteReader();
            while (rows.Read())
            {
                int dimension = rows.GetInt32(3);
                var data = (byte[])rows.GetValue(4);
                if (dimension != Dimension || data.Length != Dimension * sizeof(float))
                {
                    throw new InvalidDataException(
                        $"The store holds {dimension}-d vectors of {ModelId}, but {Dimension}-d were asked for: re-embed the catalogue (ReplaceEmbeddings).");
                }
                index.Add(rows.GetString(0), rows.GetString(1), rows.GetInt32(2), MemoryMarshal.Cast<byte, float>(data));
            }
            if (ReadWhitening() is { } whitening)
                index.SetWhitening(whitening, index.WhitenRows(whitening));
            WriteIndex(_ => _index = index);
        }
    }

    /// <summary>Loads every stored image's keypoints (they belong to no model, so a model change does not reload them).</summary>
    private void LoadKeypoints()
    {
        lock (_dbLock)
        {
            _keypoints.Clear();
            using var command = Command("SELECT object_id, image_id, data FROM keypoints ORDER BY rowid");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                string objectId = reader.GetString(0), imageId = reader.GetString(1);
                KeypointSet keypoints;
                try
                {
                    keypoints = KeypointSet.FromBytes((byte[])reader.GetValue(2));
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"The keypoints of image {imageId} of '{objectId}' are unreadable: {e.Message}", e);
                }
                _keypoints.Add(objectId, imageId, keypoints);
            }
        }
    }

    private Whitening? ReadWhitening()
    {
        using var command = Command("SELECT dimension, learned_from, mean, projection FROM whitening WHERE model_id = $model", ("$model", ModelId));
        using var reader = command.ExecuteReader();
        if (!reader.Read() || reader.GetInt32(0) != Dimension)
            return null;
        var mean = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(2)).ToArray();
        var projection = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(3)).ToArray();
        return Whitening.FromStored(Dimension, mean, projection, reader.GetInt32(1));
    }

    public Whitening? Whitening => ReadIndex(index => index.Whitening);

    /// <summary>
    /// Learns the whitening from the current vectors when there is none or it is stale (see
    /// <see cref="ICatalogStore.RefreshWhitening"/>), stores it, and installs it. Writers wait meanwhile
    /// (8 s for the 15.5k vectors of 500 pictures; whitening every row grows with the catalogue);
    /// searches go on with the old ranking until the switch.
    /// </summary>
    public bool RefreshWhitening(double staleShare = 0.25)
    {
        lock (_dbLock)
        {
            // Writers are held off by the SQL lock, so the rows cannot change under the reads below.
            var (count, current) = ReadIndex(index => (index.RowCount, index.Whitening));
            if (count < Whitening.MinVectors(Dimension))
                return false;
            if (current is not null && staleShare > 0 && Math.Abs(count - current.LearnedFrom) <= staleShare * current.LearnedFrom)
                return false;
            var rows = ReadIndex(index => index.LiveRows());
            var whitening = Whitening.Learn(rows, Dimension);
            var whitened = ReadIndex(index => index.WhitenRows(whitening));
            using (var transaction = _db.BeginTransaction())
            {
                Run("""
                    INSERT OR REPLACE INTO whitening (model_id, dimension, learned_from, learned_at, mean, projection)
                    VALUES ($model, $dimension, $count, $at, $mean, $projection)
                    """, ("$model", ModelId), ("$dimension", Dimension), ("$count", rows.Count), ("$at", Now()),
                    ("$mean", MemoryMarshal.AsBytes(whitening.Mean).ToArray()), ("$projection", MemoryMarshal.AsBytes(whitening.Projection).ToArray()));
                AuditLocked(null, "whiten", null, $"learned from {rows.Count} vectors of {ModelId}");
                transaction.Commit();
            }
            WriteIndex(index => index.SetWhitening(whitening, whitened));
            return true;
        }
    }

    /// <summary>Searches without the whitening until the store is opened again (benchmarks compare the two).</summary>
    internal void SuspendWhitening() => WriteIndex(index => index.SetWhitening(null, null));

    public int ObjectCount
    {
        get
        {
            lock (_dbLock)
                return (int)Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM objects");
        }
    }

    public int VectorCount => ReadIndex(index => index.RowCount);

    /// <summary>Inserts or replaces the record and adds images not yet present, all in one transaction, logged as <paramref name="actor"/>.</summary>
    public UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(images);
        Validate(record.ObjectId, images);
        lock (_dbLock)
        {
            List<NewImage> stored;
            int present;
            bool created;
            using (var transaction = _db.BeginTransaction())
            {
                created = Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM objects WHERE object_id = $id", ("$id", record.ObjectId)) == 0;
                string now = Now();
                using (var upsert = Command(ObjectRows.UpsertSql))
                {
                    ObjectRows.Bind(upsert, record, now);
                    upsert.ExecuteNonQuery();
                }
                Run("DELETE FROM objects_fts WHERE object_id = $id", ("$id", record.ObjectId));
                Run("INSERT INTO objects_fts (object_id, title, maker, inscriptions, description) VALUES ($id, $title, $maker, $inscriptions, $description)",
                    ("$id", record.ObjectId), ("$title", record.Title), ("$maker", record.Maker), ("$inscriptions", record.InscriptionsAndMarkings),
                    ("$description", ObjectRows.DescriptionText(record)));
                (stored, present) = InsertImages(record.ObjectId, images, now);
                AuditLocked(actor, created ? "create" : "update", record.ObjectId, $"{stored.Count} images added, {present} already present");
                transaction.Commit();
            }
            WriteIndex(index =>
            {
                index.SetObject(record);
                AddRows(index, record.ObjectId, stored);
            });
            AddKeypoints(record.ObjectId, stored);
            return new UpsertResult(record.ObjectId, created, stored.Count, present);
        }
    }

    /// <summary>Adds images to an existing object in one transaction; throws <see cref="KeyNotFoundException"/> if there is none.</summary>
    public UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        Validate(objectId, images);
        lock (_dbLock)
        {
            List<NewImage> stored;
            int present;
            using (var transaction = _db.BeginTransaction())
            {
                if (Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM objects WHERE object_id = $id", ("$id", objectId)) == 0)
                    throw new KeyNotFoundException($"No object '{objectId}' in the catalogue: add its record first.");
                string now = Now();
                (stored, present) = InsertImages(objectId, images, now);
                if (stored.Count > 0)
                    Run("UPDATE objects SET updated_at = $now WHERE object_id = $id", ("$now", now), ("$id", objectId));
                AuditLocked(actor, "add_images", objectId, $"{stored.Count} images added, {present} already present");
                transaction.Commit();
            }
            WriteIndex(index => AddRows(index, objectId, stored));
            AddKeypoints(objectId, stored);
            return new UpsertResult(objectId, false, stored.Count, present);
        }
    }

    /// <summary>Inserts images the object does not hold yet (with vectors of the current model, and keypoints when given); repeats count as present.</summary>
    private (List<NewImage> Stored, int Present) InsertImages(string objectId, IReadOnlyList<NewImage> images, string now)
    {
        var stored = new List<NewImage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int present = 0;
        foreach (var image in images)
        {
            if (!seen.Add(image.ImageId) || ContainsImageLocked(objectId, image.ImageId))
            {
                present++;
                continue;
            }
            // The image row may exist without vectors of this model (stored under another model): keep it.
            Run("""
                INSERT INTO images (object_id, image_id, label, width, height, bytes, added_at) VALUES ($object, $image, $label, $w, $h, $bytes, $now)
                ON CONFLICT DO NOTHING
                """, ("$object", objectId), ("$image", image.ImageId), ("$label", image.Label), ("$w", image.Width), ("$h", image.Height),
                ("$bytes", image.Encoded), ("$now", now));
            for (int region = 0; region < image.Vectors.Count; region++)
                InsertVector(objectId, image.ImageId, ModelId, region, image.Vectors[region]);
            if (image.Keypoints is not null)
                InsertKeypoints(objectId, image.ImageId, image.Keypoints);
            stored.Add(image);
        }
        return (stored, present);
    }

    private void InsertVector(string objectId, string imageId, string modelId, int region, float[] vector) =>
        Run("""
            INSERT OR REPLACE INTO vectors (object_id, image_id, model_id, region, dimension, data)
            VALUES ($object, $image, $model, $region, $dimension, $data)
            """, ("$object", objectId), ("$image", imageId), ("$model", modelId), ("$region", region),
            ("$dimension", vector.Length), ("$data", MemoryMarshal.AsBytes(vector.AsSpan()).ToArray()));

    private void InsertKeypoints(string objectId, string imageId, KeypointSet keypoints) =>
        Run("INSERT OR REPLACE INTO keypoints (object_id, image_id, data) VALUES ($object, $image, $data)",
            ("$object", objectId), ("$image", imageId), ("$data", keypoints.ToBytes()));

    /// <summary>Puts the committed images' keypoints in the keypoint index (call under the SQL lock, after the commit).</summary>
    private void AddKeypoints(string objectId, List<NewImage> images)
    {
        foreach (var image in images)
        {
            if (image.Keypoints is not null)
                _keypoints.Add(objectId, image.ImageId, image.Keypoints);
        }
    }

    private static void AddRows(VectorIndex index, string objectId, List<NewImage> images)
    {
        foreach (var image in images)
            index.AddImage(objectId, image.ImageId, image.Vectors);
    }

    private void Validate(string objectId, IReadOnlyList<NewImage> images)
    {
        if (string.IsNullOrWhiteSpace(objectId))
            throw new ArgumentException("An object needs a non-empty object_id.");
        foreach (var image in images)
        {
            if (image is null)
                throw new ArgumentException($"Object '{objectId}' has a null image.");
            string name = image.Label ?? image.ImageId[..12];
            if (image.Width < 0 || image.Height < 0)
                throw new ArgumentException($"Image {name} of '{objectId}' has a negative size {image.Width}x{image.Height}.");
            if (image.Vectors is null || image.Vectors.Count == 0)
                throw new ArgumentException($"Image {name} of '{objectId}' has no embedding.");
            foreach (var vector in image.Vectors)
            {
                if (vector is null || vector.Length != Dimension)
                {
                    throw new ArgumentException(
                        $"Image {name} of '{objectId}' has a {vector?.Length ?? 0}-d vector; the store holds {Dimension}-d vectors of {ModelId}.");
                }
            }
        }
    }

    /// <summary>Deletes the record, its images, all its vectors and keypoints and its text entry in one transaction.</summary>
    public bool Delete(string objectId, string? actor = null)
    {
        lock (_dbLock)
        {
            using (var transaction = _db.BeginTransaction())
            {
                Run("DELETE FROM objects_fts WHERE object_id = $id", ("$id", objectId));
                // Images, vectors and keypoints go with the record (ON DELETE CASCADE).
                if (Run("DELETE FROM objects WHERE object_id = $id", ("$id", objectId)) == 0)
                    return false;
                AuditLocked(actor, "delete", objectId, null);
                transaction.Commit();
            }
            WriteIndex(index => index.Remove(objectId));
            _keypoints.RemoveObject(objectId);
            return true;
        }
    }

    public CulturalObject? Get(string objectId)
    {
        lock (_dbLock)
        {
            using var command = Command($"SELECT {ObjectRows.Columns} FROM objects WHERE object_id = $id", ("$id", objectId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ObjectRows.Read(reader) : null;
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
        Sql.Scalar<long>(_db, "SELECT EXISTS (SELECT 1 FROM vectors WHERE model_id = $model AND object_id = $object AND image_id = $image)",
            ("$model", ModelId), ("$object", objectId), ("$image", imageId)) != 0;

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

    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        _indexLock.EnterReadLock();
        try
        {
            return _index.SearchMany(queries, k, filter);
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    /// <summary>The vector evidence for objects another search found (see <see cref="ICatalogStore.ScoreObjects"/>).</summary>
    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(objectIds);
        return ReadIndex(index => index.ScoreObjects(query, objectIds));
    }

    /// <summary>
    /// Catalogue pictures whose keypoints agree with <paramref name="query"/> on one transform (see
    /// <see cref="ICatalogStore.SearchKeypoints"/>). Which objects may match is decided by the vector
    /// index, which holds every live object's filter fields, so both searches filter alike.
    /// </summary>
    public IReadOnlyList<KeypointCandidate> SearchKeypoints(KeypointSet query, int minInliers, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(filter);
        // A copy of the allowed ids, so the keypoint search holds no index lock. Taken after a delete
        // has left the vector index, it also keeps out an object the keypoint index is about to drop.
        var allowed = ReadIndex(index => index.AllowedObjectIds(filter));
        if (excludeObjectIds is not null)
            allowed.ExceptWith(excludeObjectIds);
        return _keypoints.Search(query, minInliers, top, allowed.Contains);
    }

    /// <summary>Ids of stored images (once each) that some object holds without keypoints: those stored before schema 4 or without them.</summary>
    public IReadOnlyList<string> ImagesWithoutKeypoints()
    {
        lock (_dbLock)
        {
            using var command = Command("""
                SELECT DISTINCT i.image_id FROM images i
                WHERE NOT EXISTS (SELECT 1 FROM keypoints k WHERE k.object_id = i.object_id AND k.image_id = i.image_id)
                ORDER BY i.image_id
                """);
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
                ids.Add(reader.GetString(0));
            return ids;
        }
    }

    /// <summary>Stores (or replaces) the keypoints of an image for every object holding it, in one transaction; false when no object does.</summary>
    public bool SetKeypoints(string imageId, KeypointSet keypoints)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(keypoints);
        lock (_dbLock)
        {
            List<string> owners;
            using (var transaction = _db.BeginTransaction())
            {
                owners = ObjectsHoldingLocked(imageId);
                if (owners.Count == 0)
                    return false;
                foreach (var objectId in owners)
                    InsertKeypoints(objectId, imageId, keypoints);
                transaction.Commit();
            }
            foreach (var objectId in owners)
                _keypoints.Add(objectId, imageId, keypoints);
            return true;
        }
    }

    /// <summary>The objects an image belongs to (the same picture may be stored under several).</summary>
    private List<string> ObjectsHoldingLocked(string imageId)
    {
        using var command = Command("SELECT object_id FROM images WHERE image_id = $id ORDER BY object_id", ("$id", imageId));
        using var reader = command.ExecuteReader();
        var owners = new List<string>();
        while (reader.Read())
            owners.Add(reader.GetString(0));
        return owners;
    }

    /// <summary>
    /// Records whose title, maker, inscriptions or description contain every word of <paramref name="text"/>
    /// (best match first), restricted by <paramref name="filter"/>. Empty text lists filtered records by id.
    /// </summary>
    public IReadOnlyList<CulturalObject> SearchText(string? text, SearchFilter filter, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var sql = new StringBuilder();
        var parameters = new List<(string, object?)>();
        var match = FtsQuery(text);
        string columns = string.Join(", ", ObjectRows.Columns.Split(", ").Select(c => "o." + c));
        if (match is null)
            sql.Append($"SELECT {columns} FROM objects o WHERE 1 = 1");
        else
        {
            sql.Append($"SELECT {columns} FROM objects_fts f JOIN objects o ON o.object_id = f.object_id WHERE objects_fts MATCH $match");
            parameters.Add(("$match", match));
        }
        AddIn(sql, parameters, "registry", filter.Registries);
        AddIn(sql, parameters, "status", filter.Statuses?.Select(s => s.ToString()).ToList());
        AddIn(sql, parameters, "object_type", filter.ObjectTypes);
        AddIn(sql, parameters, "country", filter.Countries);
        sql.Append(match is null ? " ORDER BY o.object_id" : " ORDER BY f.rank, o.object_id").Append(" LIMIT $limit");
        parameters.Add(("$limit", Math.Max(0, limit)));
        lock (_dbLock)
        {
            using var command = Command(sql.ToString(), [.. parameters]);
            using var reader = command.ExecuteReader();
            var found = new List<CulturalObject>();
            while (reader.Read())
                found.Add(ObjectRows.Read(reader));
            return found;
        }
    }

    /// <summary>
    /// The user's words as FTS5 strings ("word"), implicitly ANDed. Only letters and digits reach
    /// SQLite, each inside quotes, so operators, columns filters, '*', '^' and NEAR in the input are plain text.
    /// Null when there is no word.
    /// </summary>
    internal static string? FtsQuery(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text + " ")
        {
            if (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
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
        var names = new List<string>();
        foreach (var value in values)
        {
            string name = $"${column}{names.Count}";
            parameters.Add((name, value));
            names.Add(name);
        }
        // NOCASE like the in-memory filter, so text and vector search agree.
        sql.Append(names.Count == 0 ? " AND 0" : $" AND o.{column} COLLATE NOCASE IN ({string.Join(", ", names)})");
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

    /// <summary>
    /// Replaces every stored vector (of every model) with <paramref name="vectors"/> of <paramref name="modelId"/>,
    /// in one transaction, and makes that model the one this store writes and searches. Keypoints stay:
    /// they come from the pixels, not the model.
    /// </summary>
    public void ReplaceEmbeddings(string modelId, int dimension, IEnumerable<(string ImageId, IReadOnlyList<float[]> Vectors)> vectors)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentNullException.ThrowIfNull(vectors);
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), "Dimension must be positive.");
        var all = vectors.ToList();
        foreach (var (imageId, imageVectors) in all)
        {
            if (imageVectors is null || imageVectors.Count == 0 || imageVectors.Any(v => v is null || v.Length != dimension))
                throw new ArgumentException($"Image {imageId} needs at least one vector, each of {dimension} dimensions.");
        }
        lock (_dbLock)
        {
            int unknown = 0;
            using (var transaction = _db.BeginTransaction())
            {
                Run("DELETE FROM vectors");
                Run("DELETE FROM whitening");   // learned from the vectors dropped here
                foreach (var (imageId, imageVectors) in all)
                {
                    var owners = ObjectsHoldingLocked(imageId);
                    if (owners.Count == 0)
                        unknown++;
                    foreach (var objectId in owners)
                    {
                        for (int region = 0; region < imageVectors.Count; region++)
                            InsertVector(objectId, imageId, modelId, region, imageVectors[region]);
                    }
                }
                AuditLocked(null, "reembed", null, $"{all.Count - unknown} images with {modelId} ({dimension}-d); {unknown} unknown image ids ignored");
                transaction.Commit();
            }
            ModelId = modelId;
            Dimension = dimension;
            LoadIndex();
        }
    }

    /// <summary>Appends an entry to the audit log (for actions outside the store's own writes, which log themselves).</summary>
    public void Audit(string? actor, string action, string? objectId, string? detail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        lock (_dbLock)
            AuditLocked(actor, action, objectId, detail);
    }

    /// <summary>Appends to the audit log, inside the caller's transaction when there is one.</summary>
    private void AuditLocked(string? actor, string action, string? objectId, string? detail) =>
        Run("INSERT INTO audit_log (at, actor, action, object_id, detail) VALUES ($at, $actor, $action, $object, $detail)",
            ("$at", Now()), ("$actor", actor), ("$action", action), ("$object", objectId), ("$detail", detail));

    /// <summary>The latest <paramref name="limit"/> audit entries, newest first.</summary>
    public IReadOnlyList<(DateTime At, string? Actor, string Action, string? ObjectId, string? Detail)> AuditLog(int limit = 100)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT at, actor, action, object_id, detail FROM audit_log ORDER BY id DESC LIMIT $limit", ("$limit", limit));
            using var reader = command.ExecuteReader();
            var entries = new List<(DateTime, string?, string, string?, string?)>();
            while (reader.Read())
            {
                entries.Add((DateTime.Parse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                    reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
            return entries;
        }
    }

    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);

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
        _indexLock.Dispose();
    }
}
