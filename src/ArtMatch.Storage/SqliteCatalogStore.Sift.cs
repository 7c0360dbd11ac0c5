using System.Globalization;
using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Sift;

namespace ArtMatch.Storage;

/// <summary>
/// SIFT features: one blob per stored image in SQLite, read back for verification; only the visual
/// words are held in memory, in the inverted file (<see cref="SiftInvertedFile"/>) that the first stage searches.
/// </summary>
public sealed partial class SqliteCatalogStore
{
    private SiftInvertedFile? _siftWords;

    public SiftVocabulary? SiftVocabulary { get; private set; }

    /// <summary>Loads the vocabulary and every image's words into the inverted file.</summary>
    private void LoadSift()
    {
        lock (_dbLock)
        {
            SiftVocabulary = null;
            _siftWords = null;
            using (var command = Command("SELECT words, learned_from, learned_at, centres FROM sift_vocabulary WHERE id = 1"))
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                    return;
                var centres = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(3)).ToArray();
                var vocabulary = SiftVocabulary.Create(centres, reader.GetInt32(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture));
                if (vocabulary.Words != reader.GetInt32(0))
                    throw new InvalidDataException($"The stored SIFT vocabulary is corrupt ({vocabulary.Words} centres for {reader.GetInt32(0)} words).");
                SiftVocabulary = vocabulary;
            }
            var file = new SiftInvertedFile(SiftVocabulary.Words);
            using (var command = Command("SELECT object_id, image_id, words FROM sift_features WHERE words IS NOT NULL ORDER BY rowid"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                    file.Add(reader.GetString(0), reader.GetString(1), MemoryMarshal.Cast<byte, ushort>((byte[])reader.GetValue(2)));
            }
            _siftWords = file;
        }
    }

    private void InsertSift(string objectId, string imageId, FeatureSet features, ushort[]? words)
    {
        if (words is not null && words.Length != features.Count)
            throw new ArgumentException($"{words.Length} visual words for {features.Count} SIFT features of image {imageId}.");
        // Words of another vocabulary than the store's would search wrongly: kept only when one exists.
        var wordBytes = words is not null && SiftVocabulary is not null ? MemoryMarshal.AsBytes(words.AsSpan()).ToArray() : null;
        Run("INSERT OR REPLACE INTO sift_features (object_id, image_id, data, words) VALUES ($object, $image, $data, $words)",
            ("$object", objectId), ("$image", imageId), ("$data", FeatureSetCodec.ToBytes(features)), ("$words", wordBytes));
    }

    /// <summary>Puts the committed images' words in the inverted file (under the SQL lock, after the commit).</summary>
    private void AddSift(string objectId, List<NewImage> images)
    {
        foreach (var image in images)
        {
            if (image.Sift is not null && image.SiftWords is { } words && _siftWords is { } file)
                file.Add(objectId, image.ImageId, words);
        }
    }

    private void RemoveSift(string objectId) => _siftWords?.RemoveObject(objectId);

    public void SetSiftVocabulary(SiftVocabulary vocabulary, IReadOnlyDictionary<string, ushort[]> wordsByImage)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(wordsByImage);
        lock (_dbLock)
        {
            using (var transaction = _db.BeginTransaction())
            {
                Run("""
                    INSERT OR REPLACE INTO sift_vocabulary (id, words, learned_from, learned_at, centres) VALUES (1, $words, $from, $at, $centres)
                    """, ("$words", vocabulary.Words), ("$from", vocabulary.LearnedFrom), ("$at", vocabulary.LearnedAt.ToString("O", CultureInfo.InvariantCulture)),
                    ("$centres", MemoryMarshal.AsBytes(vocabulary.Centres.AsSpan()).ToArray()));
                Run("UPDATE sift_features SET words = NULL");
                foreach (var (imageId, words) in wordsByImage)
                {
                    if (words.Any(w => w >= vocabulary.Words))
                        throw new ArgumentException($"Image {imageId} has a word outside the vocabulary of {vocabulary.Words}.", nameof(wordsByImage));
                    Run("UPDATE sift_features SET words = $words WHERE image_id = $image AND length(data) = $expected",
                        ("$words", MemoryMarshal.AsBytes(words.AsSpan()).ToArray()), ("$image", imageId), ("$expected", 16 + (long)words.Length * FeatureSetCodec.BytesPerFeature));
                }
                transaction.Commit();
            }
            LoadSift();
        }
    }

    public FeatureSet? GetSiftFeatures(string imageId)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT data FROM sift_features WHERE image_id = $id LIMIT 1", ("$id", imageId));
            return command.ExecuteScalar() is byte[] bytes ? ReadFeatures(imageId, bytes) : null;
        }
    }

    private static FeatureSet ReadFeatures(string imageId, byte[] bytes)
    {
        try
        {
            return FeatureSetCodec.FromBytes(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The SIFT features of image {imageId} are unreadable: {e.Message}", e);
        }
    }

    public IEnumerable<(string ImageId, FeatureSet Features)> EnumerateSiftFeatures()
    {
        List<string> ids;
        lock (_dbLock)
        {
            using var command = Command("SELECT DISTINCT image_id FROM sift_features ORDER BY image_id");
            using var reader = command.ExecuteReader();
            ids = [];
            while (reader.Read())
                ids.Add(reader.GetString(0));
        }
        foreach (var id in ids)
        {
            if (GetSiftFeatures(id) is { } features)
                yield return (id, features);
        }
    }

    public IReadOnlyList<string> ImagesWithoutSiftFeatures()
    {
        lock (_dbLock)
            return ImagesWithoutRowsIn("sift_features");
    }

    public bool SetSiftFeatures(string imageId, FeatureSet features, ushort[]? words)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(features);
        lock (_dbLock)
        {
            List<string> owners;
            using (var transaction = _db.BeginTransaction())
            {
                owners = ObjectsHoldingLocked(imageId);
                if (owners.Count == 0)
                    return false;
                foreach (var objectId in owners)
                    InsertSift(objectId, imageId, features, words);
                transaction.Commit();
            }
            if (words is not null && _siftWords is { } file)
            {
                foreach (var objectId in owners)
                    file.Add(objectId, imageId, words);
            }
            return true;
        }
    }

    public IReadOnlyList<SiftHit> SearchSiftWords(ushort[] words, int top, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(filter);
        if (_siftWords is not { } file)
            return [];
        var allowed = Index.AllowedObjectIds(filter);
        return file.Search(words, top, id => (allowed is null || allowed.Contains(id)) && excludeObjectIds?.Contains(id) != true);
    }
}
