using ArtMatch.Core.Catalog;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>Catalogue images: adding them to an object, reading them back.</summary>
public sealed partial class SqliteCatalogStore
{
    /// <summary>Adds images to an existing object in one transaction; throws <see cref="ObjectNotFoundException"/> if there is none.</summary>
    public UpsertResult AddImages(string objectId, IReadOnlyList<NewImage> images, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        Validate(objectId, images);
        lock (_dbLock)
        {
            List<NewImage> stored;
            List<long[]> keys = [];
            int present;
            using (var transaction = _db.BeginTransaction())
            {
                if (Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM objects WHERE object_id = $id", ("$id", objectId)) == 0)
                    throw new ObjectNotFoundException(objectId, $"No object '{objectId}' in the catalogue: add its record first.");
                string now = Now();
                (stored, present, keys) = InsertImages(objectId, images, now);
                if (stored.Count > 0)
                    Run("UPDATE objects SET updated_at = $now WHERE object_id = $id", ("$now", now), ("$id", objectId));
                AuditLocked(actor, "add_images", objectId, $"{stored.Count} images added, {present} already present");
                transaction.Commit();
            }
            if (stored.Count > 0)
                IndexImages(IndexedObject.Of(GetLocked(objectId)!), stored, keys);
            AddKeypoints(objectId, stored);
            AddSift(objectId, stored);
            return new UpsertResult(objectId, false, stored.Count, present);
        }
    }

    /// <summary>
    /// Inserts images the object does not hold yet (with vectors of the current model, and keypoints when given); repeats
    /// count as present. Keys: each stored image's vectors' rowids (the embedded index's row file keeps them).
    /// </summary>
    private (List<NewImage> Stored, int Present, List<long[]> Keys) InsertImages(string objectId, IReadOnlyList<NewImage> images, string now)
    {
        var stored = new List<NewImage>();
        var keys = new List<long[]>();
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
            // An external index keeps the vectors itself (written after the commit, like the embedded rows).
            var imageKeys = new long[_external is null ? image.Vectors.Count : 0];
            for (int region = 0; region < imageKeys.Length; region++)
                imageKeys[region] = InsertVector(objectId, image.ImageId, ModelId, region, image.Vectors[region]);
            keys.Add(imageKeys);
            if (image.Keypoints is not null)
                InsertKeypoints(objectId, image.ImageId, image.Keypoints);
            if (image.Sift is not null)
                InsertSift(objectId, image.ImageId, image.Sift, image.SiftWords);
            if (image.Local is not null)
                InsertCatalogueLocal(objectId, image.ImageId, image.Local);
            stored.Add(image);
        }
        return (stored, present, keys);
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
        _external is not null ? _external.Contains(objectId, imageId) : Sql.Scalar<long>(_db, "SELECT EXISTS (SELECT 1 FROM vectors WHERE model_id = $model AND object_id = $object AND image_id = $image)",
            ("$model", ModelId), ("$object", objectId), ("$image", imageId)) != 0;

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
}
