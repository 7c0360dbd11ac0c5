using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>
/// Vectors in an index outside the store (a Qdrant collection per model): SQLite keeps records, images,
/// keypoints, text search and the audit log, and writes no vectors; the index keeps them, written after
/// each commit as the embedded rows are. An image whose rows the index lacks (a crash between the commit
/// and the index write) is not present for <see cref="ContainsImage"/>, so importing it again repairs it.
/// </summary>
public sealed partial class SqliteCatalogStore
{
    private Func<string, int, IVectorIndex>? _openIndex;
    private IVectorIndex? _external;

    /// <summary>The index searches read and writes go to: the external one when given, else the embedded one.</summary>
    private IVectorIndex Index => _external ?? _vectors;

    /// <summary>The embedded vector index (benchmarks read its sizes; searches go through <see cref="Index"/>).</summary>
    internal EmbeddedVectorIndex EmbeddedIndex => _vectors;

    /// <summary>True when the vectors live in an external index (then SQLite holds none of this model's).</summary>
    public bool HasExternalIndex => _external is not null;

    private void UseExternalIndex(Func<string, int, IVectorIndex>? openIndex)
    {
        if (openIndex is null)
            return;
        _openIndex = openIndex;
        _external = openIndex(ModelId, Dimension);
        if (_external.Dimension != Dimension)
            throw new InvalidDataException($"The external index holds {_external.Dimension}-d vectors; the store needs {Dimension}-d.");
    }

    /// <summary>A model change with an external index: the new model's index (its own collection) gets every image's new rows, then replaces the old one.</summary>
    private void ReplaceExternalEmbeddings(string modelId, int dimension, List<(string ImageId, IReadOnlyList<float[]> Vectors)> all)
    {
        var next = _openIndex!(modelId, dimension);
        try
        {
            lock (_dbLock)
            {
                int unknown = 0;
                foreach (var (imageId, vectors) in all)
                {
                    var owners = ObjectsHoldingLocked(imageId);
                    if (owners.Count == 0)
                        unknown++;
                    foreach (var objectId in owners)
                        next.Upsert(IndexedObject.Of(GetLocked(objectId)!), [new IndexedImage(imageId, vectors)]);
                }
                using (var transaction = _db.BeginTransaction())
                {
                    AuditLocked(null, "reembed", null, $"{all.Count - unknown} images with {modelId} ({dimension}-d) into the external index; {unknown} unknown image ids ignored");
                    transaction.Commit();
                }
                var old = _external;
                _external = next;
                ModelId = modelId;
                Dimension = dimension;
                old?.Dispose();
            }
        }
        catch
        {
            if (!ReferenceEquals(_external, next))
                next.Dispose();
            throw;
        }
    }

    /// <summary>Every object id, in order (for copying the catalogue's vectors elsewhere).</summary>
    internal List<string> ObjectIds()
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT object_id FROM objects ORDER BY object_id");
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
                ids.Add(reader.GetString(0));
            return ids;
        }
    }

    /// <summary>Image rows of all objects (an image under two objects counts twice).</summary>
    public int ImageCount()
    {
        lock (_dbLock)
            return (int)Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM images");
    }

    /// <summary>
    /// The float vectors of the current model SQLite keeps for each image of the object (region 0 first,
    /// no gaps), by image id; empty when it keeps none (an external index, or rows kept elsewhere).
    /// </summary>
    internal Dictionary<string, IReadOnlyList<float[]>> StoredVectorsOf(string objectId)
    {
        var rows = new List<(string ImageId, int Region, float[] Vector)>();
        lock (_dbLock)
        {
            using var command = Command("SELECT image_id, region, data FROM vectors WHERE model_id = $model AND object_id = $object ORDER BY image_id, region",
                ("$model", ModelId), ("$object", objectId));
            using var reader = command.ExecuteReader();
            while (reader.Read())
                rows.Add((reader.GetString(0), reader.GetInt32(1), MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(2)).ToArray()));
        }
        return rows.GroupBy(r => r.ImageId)
            .Where(image => image.Select((row, i) => row.Region == i).All(ok => ok))   // a gap in the regions: not a whole image
            .ToDictionary(image => image.Key, image => (IReadOnlyList<float[]>)image.Select(r => r.Vector).ToList(), StringComparer.Ordinal);
    }
}
