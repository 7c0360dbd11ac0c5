using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
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
    /// held as floats.
    /// </summary>
    private void LoadIndex()
    {
        if (_external is not null)
            return;
        lock (_dbLock)
        {
            var index = new VectorIndex(Dimension);
            var whitening = ReadWhitening();
            if (whitening is not null && _vectors.Compact)
                index.MakeCompact(whitening);
            using (var objects = Command($"SELECT {ObjectRows.Columns} FROM objects ORDER BY rowid"))
            using (var reader = objects.ExecuteReader())
            {
                while (reader.Read())
                    index.SetObject(ObjectRows.Read(reader));
            }
            using var vectors = Command("SELECT object_id, image_id, region, dimension, data FROM vectors WHERE model_id = $model ORDER BY rowid", ("$model", ModelId));
            using var rows = vectors.ExecuteReader();
            var batch = new List<(string ObjectId, string ImageId, int Region, float[] Vector)>(LoadBatch);
            while (rows.Read())
            {
                int dimension = rows.GetInt32(3);
                var data = (byte[])rows.GetValue(4);
                if (dimension != Dimension || data.Length != Dimension * sizeof(float))
                {
                    throw new InvalidDataException(
                        $"The store holds {dimension}-d vectors of {ModelId}, but {Dimension}-d were asked for: re-embed the catalogue (ReplaceEmbeddings).");
                }
                batch.Add((rows.GetString(0), rows.GetString(1), rows.GetInt32(2), MemoryMarshal.Cast<byte, float>(data).ToArray()));
                if (batch.Count == LoadBatch)
                {
                    index.AddRows(batch);
                    batch.Clear();
                }
            }
            index.AddRows(batch);
            if (whitening is not null && !index.IsCompact)
                index.SetWhitening(whitening, index.WhitenRows(whitening));
            _vectors.Replace(index);
        }
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

    private void InsertVector(string objectId, string imageId, string modelId, int region, float[] vector) =>
        Run("""
            INSERT OR REPLACE INTO vectors (object_id, image_id, model_id, region, dimension, data)
            VALUES ($object, $image, $model, $region, $dimension, $data)
            """, ("$object", objectId), ("$image", imageId), ("$model", modelId), ("$region", region),
            ("$dimension", vector.Length), ("$data", MemoryMarshal.AsBytes(vector.AsSpan()).ToArray()));

    private static List<IndexedImage> Indexed(List<NewImage> images) => images.Select(i => new IndexedImage(i.ImageId, i.Vectors)).ToList();

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
