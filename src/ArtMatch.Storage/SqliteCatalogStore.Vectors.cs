using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>Vectors: kept in SQLite, searched through the in-memory <see cref="EmbeddedVectorIndex"/>; a model change.</summary>
public sealed partial class SqliteCatalogStore
{
    /// <summary>Rows read from SQLite and added to the index together (a compact index projects them in one pass).</summary>
    private const int LoadBatch = 512;

    /// <summary>
    /// Rebuilds the in-memory index from the database (records, then vectors of the current model). With a
    /// whitening stored and the index compact, the index is made compact first, so the rows are never all
    /// held as floats; with a row file as well (<see cref="EmbeddedVectorIndex.RowFilePath"/>), its rows are
    /// mapped and only the vectors it lacks are read and projected (<see cref="VectorIndex.OpenRows"/>).
    /// </summary>
    private void LoadIndex()
    {
        if (_external is not null)
            return;
        lock (_dbLock)
        {
            var index = new VectorIndex(Dimension);
            try
            {
                var whitening = ReadWhitening();
                using (var objects = Command($"SELECT {ObjectRows.Columns} FROM objects ORDER BY rowid"))
                using (var reader = objects.ExecuteReader())
                {
                    while (reader.Read())
                        index.SetObject(ObjectRows.Read(reader));
                }
                LastRowFileOpening = whitening is not null && _vectors.Compact && _vectors.RowFilePath is { } rowFile
                    ? index.OpenRows(whitening, rowFile, StoredRows(), ReadVectors)
                    : null;
                if (LastRowFileOpening is null)
                    LoadRows(index, whitening);
            }
            catch
            {
                index.Dispose();
                throw;
            }
            _vectors.Replace(index);
        }
    }

    /// <summary>What the last opening of the row file found (tests, benchmarks).</summary>
    internal RowFileOpening? LastRowFileOpening { get; private set; }

    /// <summary>Every vector of the current model read and added (made compact, or whitened, as it goes).</summary>
    private void LoadRows(VectorIndex index, Whitening? whitening)
    {
        if (whitening is not null && _vectors.Compact)
            index.MakeCompact(whitening);
        using var vectors = Command("SELECT object_id, image_id, region, dimension, data, rowid FROM vectors WHERE model_id = $model ORDER BY rowid", ("$model", ModelId));
        using var rows = vectors.ExecuteReader();
        var batch = new List<(string ObjectId, string ImageId, int Region, float[] Vector)>(LoadBatch);
        var keys = new List<long>(LoadBatch);
        while (rows.Read())
        {
            CheckDimension(rows.GetInt32(3));
            var data = (byte[])rows.GetValue(4);
            CheckDimension(data.Length / sizeof(float));
            batch.Add((rows.GetString(0), rows.GetString(1), rows.GetInt32(2), MemoryMarshal.Cast<byte, float>(data).ToArray()));
            keys.Add(rows.GetInt64(5));
            if (batch.Count == LoadBatch)
            {
                index.AddRows(batch, keys);
                batch.Clear();
                keys.Clear();
            }
        }
        index.AddRows(batch, keys);
        if (whitening is not null && !index.IsCompact)
            index.SetWhitening(whitening, index.WhitenRows(whitening));
    }

    private void CheckDimension(int dimension)
    {
        if (dimension != Dimension)
        {
            throw new InvalidDataException(
                $"The store holds {dimension}-d vectors of {ModelId}, but {Dimension}-d were asked for: re-embed the catalogue (ReplaceEmbeddings).");
        }
    }

    /// <summary>The current model's vectors without their data, by rowid (a row file is matched against them).</summary>
    private IEnumerable<StoredRow> StoredRows()
    {
        using var command = Command("SELECT rowid, object_id, image_id, region, dimension FROM vectors WHERE model_id = $model ORDER BY rowid", ("$model", ModelId));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            CheckDimension(reader.GetInt32(4));
            yield return new StoredRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3));
        }
    }

    /// <summary>The vectors of the given rowids, in order.</summary>
    private List<float[]> ReadVectors(IReadOnlyList<long> keys)
    {
        var vectors = new List<float[]>(keys.Count);
        using var command = Command("SELECT data FROM vectors WHERE rowid = $rowid", ("$rowid", 0L));
        foreach (long key in keys)
        {
            command.Parameters["$rowid"].Value = key;
            var data = command.ExecuteScalar() as byte[] ?? throw new InvalidDataException($"Vector row {key} is gone from the store.");
            CheckDimension(data.Length / sizeof(float));
            vectors.Add(MemoryMarshal.Cast<byte, float>(data).ToArray());
        }
        return vectors;
    }

    /// <summary>Objects whose float rows the embedded index keeps for plain scores (tests).</summary>
    internal int PlainRowsKept => _vectors.PlainRowsKept;

    /// <summary>The current model's float rows of the named objects (whole-picture rows only when asked): the plain cosines of a compact index's hits.</summary>
    private IReadOnlyDictionary<string, List<float[]>> ReadPlainRows(IReadOnlyCollection<string> objectIds, bool wholeImagesOnly)
    {
        var rows = new Dictionary<string, List<float[]>>(StringComparer.Ordinal);
        lock (_dbLock)
        {
            using var command = Command(
                "SELECT data FROM vectors WHERE model_id = $model AND object_id = $object" + (wholeImagesOnly ? " AND region = 0" : ""),
                ("$model", ModelId), ("$object", ""));
            foreach (var objectId in objectIds)
            {
                command.Parameters["$object"].Value = objectId;
                var list = new List<float[]>();
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                        list.Add(MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(0)).ToArray());
                }
                rows[objectId] = list;
            }
        }
        return rows;
    }

    /// <summary>Writes one vector; returns its rowid (the key of its row in the embedded index's row file).</summary>
    private long InsertVector(string objectId, string imageId, string modelId, int region, float[] vector)
    {
        Run("""
            INSERT OR REPLACE INTO vectors (object_id, image_id, model_id, region, dimension, data)
            VALUES ($object, $image, $model, $region, $dimension, $data)
            """, ("$object", objectId), ("$image", imageId), ("$model", modelId), ("$region", region),
            ("$dimension", vector.Length), ("$data", MemoryMarshal.AsBytes(vector.AsSpan()).ToArray()));
        return Sql.Scalar<long>(_db, "SELECT last_insert_rowid()");
    }

    private static List<IndexedImage> Indexed(List<NewImage> images) => images.Select(i => new IndexedImage(i.ImageId, i.Vectors)).ToList();

    /// <summary>Puts images just committed in the vector index: the embedded one with their vectors' rowids.</summary>
    private void IndexImages(IndexedObject record, List<NewImage> stored, List<long[]> keys)
    {
        if (_external is not null)
            _external.Upsert(record, Indexed(stored));
        else
            _vectors.Upsert(record, Indexed(stored), keys);
    }

    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter) =>
        _external is null ? _vectors.Search(query, k, filter) : _external.SearchMany([query.ToArray()], k, filter)[0];

    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter) => Index.SearchMany(queries, k, filter);

    /// <summary>The vector evidence for objects another search found (see <see cref="ICatalogStore.ScoreObjects"/>).</summary>
    public IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds) => Index.ScoreObjects(query, objectIds);

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
        if (_external is not null)
        {
            ReplaceExternalEmbeddings(modelId, dimension, all);
            return;
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
}
