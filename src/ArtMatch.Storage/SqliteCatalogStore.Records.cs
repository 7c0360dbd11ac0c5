using ArtMatch.Core.Catalog;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>Object records: insert or replace, delete, read.</summary>
public sealed partial class SqliteCatalogStore
{
    /// <summary>Inserts or replaces the record and adds images not yet present, all in one transaction, logged as <paramref name="actor"/>.</summary>
    public UpsertResult Upsert(CulturalObject record, IReadOnlyList<NewImage> images, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(images);
        Validate(record.ObjectId, images);
        lock (_dbLock)
        {
            List<NewImage> stored;
            List<long[]> keys;
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
                (stored, present, keys) = InsertImages(record.ObjectId, images, now);
                AuditLocked(actor, created ? "create" : "update", record.ObjectId, $"{stored.Count} images added, {present} already present");
                transaction.Commit();
            }
            IndexImages(IndexedObject.Of(record), stored, keys);
            AddKeypoints(record.ObjectId, stored);
            AddSift(record.ObjectId, stored);
            return new UpsertResult(record.ObjectId, created, stored.Count, present);
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
            // Keypoints first: a keypoint search that starts after this cannot find the object, whatever filter it took.
            _keypoints.RemoveObject(objectId);
            RemoveSift(objectId);
            Index.DeleteObject(objectId);
            return true;
        }
    }

    public CulturalObject? Get(string objectId)
    {
        lock (_dbLock)
            return GetLocked(objectId);
    }

    private CulturalObject? GetLocked(string objectId)
    {
        using var command = Command($"SELECT {ObjectRows.Columns} FROM objects WHERE object_id = $id", ("$id", objectId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ObjectRows.Read(reader) : null;
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
}
