using ArtMatch.Core.Matching.Stages;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>
/// What verification reads of each stored image (<see cref="CatalogueLocal"/>): one blob per image of an
/// object in SQLite, written with the image at import (compact: <see cref="CatalogueLocalEncoding.Compact"/>),
/// read when a photo is checked against the image. Rows of schema 8 (float32) are read as they are until
/// <see cref="RecodeCatalogueLocal"/> has re-encoded them.
/// </summary>
public sealed partial class SqliteCatalogStore
{
    /// <summary>Rows re-encoded per transaction: a batch of schema 8's rows is tens of megabytes.</summary>
    private const int RecodeBatch = 32;

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

    /// <summary>Rows of local features still in schema 8's float32 encoding, to be re-encoded (<see cref="RecodeCatalogueLocal"/>).</summary>
    public int CatalogueLocalToRecode()
    {
        lock (_dbLock)
            return (int)Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM catalogue_local_recode");
    }

    /// <summary>
    /// Re-encodes the listed rows compact, a batch a transaction (the rows and their place in the list go
    /// together: a kill leaves whole batches done and the rest listed); the encoding runs outside the store's
    /// lock, so reads go on. A row replaced meanwhile is left as its writer wrote it. Returns how many rows
    /// were re-encoded.
    /// </summary>
    public int RecodeCatalogueLocal(CancellationToken cancellation = default)
    {
        int recoded = 0;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = new List<(long Id, byte[]? Data)>();
            lock (_dbLock)
            {
                using var command = Command("""
                    SELECT r.id, c.data FROM catalogue_local_recode r LEFT JOIN catalogue_local c ON c.rowid = r.id ORDER BY r.id LIMIT $n
                    """, ("$n", RecodeBatch));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                    batch.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : (byte[])reader[1]));
            }
            if (batch.Count == 0)
                return recoded;
            var encoded = new byte[]?[batch.Count];
            Parallel.For(0, batch.Count, new ParallelOptions { CancellationToken = cancellation }, i => encoded[i] = Recoded(batch[i].Data));
            lock (_dbLock)
            {
                using var transaction = _db.BeginTransaction();
                for (int i = 0; i < batch.Count; i++)
                {
                    if (encoded[i] is { } bytes)
                        recoded += Run("UPDATE catalogue_local SET data = $data WHERE rowid = $id AND data = $old", ("$data", bytes), ("$id", batch[i].Id), ("$old", batch[i].Data));
                    Run("DELETE FROM catalogue_local_recode WHERE id = $id", ("$id", batch[i].Id));
                }
                StorageTestHooks.CatalogueLocalRecoding?.Invoke(recoded);
                transaction.Commit();
            }
        }
    }

    /// <summary>The compact encoding of a schema 8 row; null for a row gone, already compact, or unreadable (left as it is: reading it says so).</summary>
    private static byte[]? Recoded(byte[]? data)
    {
        if (data is null || CatalogueLocalCodec.IsCompact(data))
            return null;
        try
        {
            return CatalogueLocalCodec.ToBytes(CatalogueLocalCodec.FromBytes(data));
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
