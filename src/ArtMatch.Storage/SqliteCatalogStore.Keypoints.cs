using ArtMatch.Core.Configuration;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>
/// Keypoints: one blob per stored image in SQLite (the truth), searched through the <see cref="KeypointIndex"/>,
/// which keeps them in the memory-mapped keypoints.idx beside catalog.db (or in memory).
/// </summary>
public sealed partial class SqliteCatalogStore
{
    private readonly KeypointIndex _keypoints = new(new KeypointMatchSettings());
    private readonly bool _keypointsOnDisk;

    /// <summary>Name of the keypoint file beside catalog.db (<see cref="KeypointFile"/>); derived from the keypoints table, rewritten when missing.</summary>
    public const string KeypointFileName = "keypoints.idx";

    /// <summary>Where the keypoints are searched from: in the file, in memory, dead in the file.</summary>
    public KeypointIndexState KeypointState => _keypoints.State;

    /// <summary>
    /// Loads every stored image's keypoints (they belong to no model, so a model change does not reload
    /// them): with <see cref="EmbeddedIndexSettings.KeypointsOnDisk"/>, those the keypoint file holds in
    /// the same version (row id and count) stay on disk and only the others are read; a missing or
    /// unreadable file is written from the table first (a store of an older version gets its file here).
    /// </summary>
    private void LoadKeypoints()
    {
        lock (_dbLock)
        {
            if (!_keypointsOnDisk)
            {
                _keypoints.Clear();
                foreach (var entry in ReadKeypointRows("ORDER BY rowid"))
                    _keypoints.Add(entry.ObjectId, entry.ImageId, entry.Keypoints, entry.Stamp);
                return;
            }
            var stored = new List<StoredKeypoints>();
            using (var command = Command("SELECT object_id, image_id, rowid, (length(data) - 13) / 48 FROM keypoints"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                    stored.Add(new StoredKeypoints(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3)));
            }
            var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(DatabasePath))!, KeypointFileName);
            _keypoints.OpenFile(path, stored,
                s => ReadKeypointRows("WHERE object_id = $object AND image_id = $image", ("$object", s.ObjectId), ("$image", s.ImageId)).Single().Keypoints,
                () => ReadKeypointRows("ORDER BY object_id, image_id"));
        }
    }

    /// <summary>Keypoint rows (under the SQL lock), streamed one at a time; <paramref name="where"/> filters and orders.</summary>
    private IEnumerable<KeypointFileEntry> ReadKeypointRows(string where, params (string Name, object? Value)[] parameters)
    {
        using var command = Command($"SELECT object_id, image_id, rowid, data FROM keypoints {where}", parameters);
        using var reader = command.ExecuteReader();
        int read = 0;
        while (reader.Read())
        {
            StorageTestHooks.KeypointRowsRead?.Invoke(read++);
            string objectId = reader.GetString(0), imageId = reader.GetString(1);
            KeypointSet keypoints;
            try
            {
                keypoints = KeypointSet.FromBytes((byte[])reader.GetValue(3));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"The keypoints of image {imageId} of '{objectId}' are unreadable: {e.Message}", e);
            }
            yield return new KeypointFileEntry(objectId, imageId, reader.GetInt64(2), keypoints);
        }
    }

    /// <summary>The row id of an image's keypoints (its version for the keypoint file), 0 when none.</summary>
    private long KeypointStamp(string objectId, string imageId)
    {
        using var command = Command("SELECT rowid FROM keypoints WHERE object_id = $object AND image_id = $image", ("$object", objectId), ("$image", imageId));
        return command.ExecuteScalar() is long id ? id : 0;
    }

    private void InsertKeypoints(string objectId, string imageId, KeypointSet keypoints) =>
        Run("INSERT OR REPLACE INTO keypoints (object_id, image_id, data) VALUES ($object, $image, $data)",
            ("$object", objectId), ("$image", imageId), ("$data", keypoints.ToBytes()));

    /// <summary>Puts the committed images' keypoints in the keypoint index (call under the SQL lock, after the commit).</summary>
    private void AddKeypoints(string objectId, List<NewImage> images)
    {
        foreach (var image in images)
        {
            if (image.Keypoints is not null)
                _keypoints.Add(objectId, image.ImageId, image.Keypoints, KeypointStamp(objectId, image.ImageId));
        }
    }

    /// <summary>
    /// Catalogue pictures whose keypoints agree with <paramref name="query"/> on one transform (see
    /// <see cref="ICatalogStore.SearchKeypoints"/>). Which objects may match is decided by the vector
    /// index, which holds every live object's filter fields, so both searches filter alike.
    /// </summary>
    public IReadOnlyList<KeypointCandidate> SearchKeypoints(KeypointSet query, int minInliers, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(filter);
        // A copy of the allowed ids (null: all), so the keypoint search holds no vector index lock.
        var allowed = Index.AllowedObjectIds(filter);
        return _keypoints.Search(query, minInliers, top, id => (allowed is null || allowed.Contains(id)) && excludeObjectIds?.Contains(id) != true, cancellation);
    }

    /// <summary>Ids of stored images (once each) that some object holds without keypoints: those stored before schema 4 or without them.</summary>
    public IReadOnlyList<string> ImagesWithoutKeypoints()
    {
        lock (_dbLock)
            return ImagesWithoutRowsIn("keypoints");
    }

    /// <summary>
    /// Ids of stored images (once each) that some object holds without a row in <paramref name="table"/> (keyed by
    /// object and image id); with <paramref name="ofStoreModel"/>, without a row of the store's model (a model_id column).
    /// </summary>
    private List<string> ImagesWithoutRowsIn(string table, bool ofStoreModel = false)
    {
        string model = ofStoreModel ? " AND t.model_id = $model" : "";
        using var command = Command($"""
            SELECT DISTINCT i.image_id FROM images i
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.object_id = i.object_id AND t.image_id = i.image_id{model})
            ORDER BY i.image_id
            """, ofStoreModel ? [("$model", ModelId)] : []);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
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
                _keypoints.Add(objectId, imageId, keypoints, KeypointStamp(objectId, imageId));
            return true;
        }
    }
}
