using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Storage;

/// <summary>Keypoints: one blob per stored image in SQLite, searched through the in-memory <see cref="KeypointIndex"/>.</summary>
public sealed partial class SqliteCatalogStore
{
    private readonly KeypointIndex _keypoints = new(new KeypointMatchSettings());

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

    /// <summary>
    /// Catalogue pictures whose keypoints agree with <paramref name="query"/> on one transform (see
    /// <see cref="ICatalogStore.SearchKeypoints"/>). Which objects may match is decided by the vector
    /// index, which holds every live object's filter fields, so both searches filter alike.
    /// </summary>
    public IReadOnlyList<KeypointCandidate> SearchKeypoints(KeypointSet query, int minInliers, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(filter);
        // A copy of the allowed ids (null: all), so the keypoint search holds no vector index lock.
        var allowed = Index.AllowedObjectIds(filter);
        return _keypoints.Search(query, minInliers, top, id => (allowed is null || allowed.Contains(id)) && excludeObjectIds?.Contains(id) != true);
    }

    /// <summary>Ids of stored images (once each) that some object holds without keypoints: those stored before schema 4 or without them.</summary>
    public IReadOnlyList<string> ImagesWithoutKeypoints()
    {
        lock (_dbLock)
            return ImagesWithoutRowsIn("keypoints");
    }

    /// <summary>Ids of stored images (once each) that some object holds without a row in <paramref name="table"/> (keyed by object and image id).</summary>
    private List<string> ImagesWithoutRowsIn(string table)
    {
        using var command = Command($"""
            SELECT DISTINCT i.image_id FROM images i
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.object_id = i.object_id AND t.image_id = i.image_id)
            ORDER BY i.image_id
            """);
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
                _keypoints.Add(objectId, imageId, keypoints);
            return true;
        }
    }
}
