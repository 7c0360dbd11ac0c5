using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Storage;

/// <summary>
/// What verification reads of each stored image (<see cref="CatalogueLocal"/>): one blob per image of an
/// object in SQLite, written with the image at import, read when a photo is checked against the image.
/// </summary>
public sealed partial class SqliteCatalogStore
{
    private void InsertCatalogueLocal(string objectId, string imageId, CatalogueLocal local) =>
        Run("INSERT OR REPLACE INTO catalogue_local (object_id, image_id, model_id, data) VALUES ($object, $image, $model, $data)",
            ("$object", objectId), ("$image", imageId), ("$model", ModelId), ("$data", CatalogueLocalCodec.ToBytes(local)));

    public CatalogueLocal? GetCatalogueLocal(string imageId)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        byte[]? bytes;
        lock (_dbLock)
        {
            using var command = Command("SELECT data FROM catalogue_local WHERE image_id = $id AND model_id = $model LIMIT 1", ("$id", imageId), ("$model", ModelId));
            bytes = command.ExecuteScalar() as byte[];
        }
        if (bytes is null)
            return null;
        try
        {
            return CatalogueLocalCodec.FromBytes(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The stored local features of image {imageId} are unreadable: {e.Message}", e);
        }
    }

    /// <summary>Ids of stored images (once each) that some object holds without local features of the store's model.</summary>
    public IReadOnlyList<string> ImagesWithoutCatalogueLocal()
    {
        lock (_dbLock)
            return ImagesWithoutRowsIn("catalogue_local", ofStoreModel: true);
    }

    /// <summary>Stores (or replaces) an image's local features for every object holding it, in one transaction; false when no object does.</summary>
    public bool SetCatalogueLocal(string imageId, CatalogueLocal local)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(local);
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            var owners = ObjectsHoldingLocked(imageId);
            if (owners.Count == 0)
                return false;
            foreach (var objectId in owners)
                InsertCatalogueLocal(objectId, imageId, local);
            transaction.Commit();
            return true;
        }
    }
}
