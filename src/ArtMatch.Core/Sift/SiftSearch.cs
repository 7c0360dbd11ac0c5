using System.Collections.Concurrent;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Sift;

/// <summary>A catalogue picture the SIFT search verified: its visual-word score and the inliers that agree.</summary>
public sealed record SiftCandidate(string ObjectId, string ImageId, float WordScore, int Inliers);

/// <summary>
/// The local-feature search over the whole catalogue: SIFT features of each catalogue picture (computed at
/// import, stored), a vocabulary of visual words learned from them, an inverted file with tf-idf as the
/// first stage (in the store), and geometric verification of the pictures it ranks best. Thread-safe.
/// </summary>
public sealed class SiftSearch(ILocalFeatureEngine engine, ICatalogStore store, SiftSettings settings)
{
    private readonly ConcurrentDictionary<string, Lazy<FeatureSet?>> _cache = new();

    public SiftSettings Settings { get; } = settings;

    public ILocalFeatureEngine Engine => engine;

    /// <summary>Catalogue feature sets kept in memory for verification (about 140 KB each at 1000 features).</summary>
    public int CacheCapacity { get; init; } = 1024;

    /// <summary>SIFT features of a decoded picture: greyscale, enlarged first when small.</summary>
    public FeatureSet Describe(RgbImage image, bool forCatalogue)
    {
        var grey = GreyImage.FromRgb(image);
        int longSide = Math.Max(image.Width, image.Height);
        double scale = 1;
        if (longSide < Settings.MinLongSide)
        {
            scale = (double)Settings.MinLongSide / longSide;
            grey = GreyImage.FromRgb(ImageOps.Resize(image, Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale))));
        }
        var features = engine.Detect(grey, forCatalogue ? Settings.CatalogueFeatures : Settings.QueryFeatures);
        if (scale == 1)
            return features;
        // Back to the picture's own pixels, so that stored positions do not depend on the enlargement.
        float back = (float)(1 / scale);
        var points = features.Points.Select(p => p with { X = p.X * back, Y = p.Y * back, Size = p.Size * back }).ToArray();
        return new FeatureSet(image.Width, image.Height, points, features.Descriptors);
    }

    /// <summary>The visual words of <paramref name="features"/> in the store's vocabulary, or null when there is none.</summary>
    public ushort[]? WordsOf(FeatureSet features) =>
        store.SiftVocabulary is { } vocabulary ? engine.Quantize(features, vocabulary.Centres).Select(w => (ushort)w).ToArray() : null;

    /// <summary>
    /// Pictures the first stage passes to verification: the best <see cref="SiftSettings.Shortlist"/> by
    /// tf-idf of visual words, among objects the filter allows and not excluded.
    /// </summary>
    public IReadOnlyList<SiftHit> Shortlist(FeatureSet query, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds, int? top = null)
    {
        if (query.Count == 0 || store.SiftVocabulary is not { } vocabulary)
            return [];
        var words = engine.QuantizeNearest(query, vocabulary.Centres, Settings.QueryNearestWords).Select(w => (ushort)w).ToArray();
        return store.SearchSiftWords(words, top ?? Settings.Shortlist, filter, excludeObjectIds);
    }

    /// <summary>The shortlist, verified: per object its best-verified picture, most inliers first.</summary>
    public IReadOnlyList<SiftCandidate> Search(FeatureSet query, SearchFilter filter, IReadOnlySet<string>? excludeObjectIds)
    {
        var best = new Dictionary<string, SiftCandidate>(StringComparer.Ordinal);
        foreach (var hit in Shortlist(query, filter, excludeObjectIds))
        {
            int inliers = Verify(query, hit.ImageId).Inliers;
            if (!best.TryGetValue(hit.ObjectId, out var held) || inliers > held.Inliers)
                best[hit.ObjectId] = new SiftCandidate(hit.ObjectId, hit.ImageId, hit.Score, inliers);
        }
        return best.Values.OrderByDescending(c => c.Inliers).ThenByDescending(c => c.WordScore).ThenBy(c => c.ObjectId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Verifies the photo against one stored catalogue picture directly (no first stage).</summary>
    public SiftVerification Verify(FeatureSet query, string imageId) =>
        CatalogueFeatures(imageId) is { } candidate ? SiftVerifier.Verify(engine, query, candidate, Settings) : SiftVerification.None;

    private FeatureSet? CatalogueFeatures(string imageId)
    {
        if (_cache.Count > CacheCapacity)
            _cache.Clear();
        return _cache.GetOrAdd(imageId, id => new Lazy<FeatureSet?>(() => store.GetSiftFeatures(id))).Value;
    }

    /// <summary>
    /// Learns the vocabulary from the stored features and gives every picture its words, when there is
    /// none, the settings ask for another number of words, or the pictures changed by more than <see cref="SiftSettings.VocabularyStaleShare"/> since
    /// (<paramref name="force"/>: always). Returns false when nothing was learned (too few features, still fresh).
    /// </summary>
    public bool RefreshVocabulary(bool force = false, int seed = 1)
    {
        var all = store.EnumerateSiftFeatures().ToList();
        int pictures = all.Count;
        if (!force && store.SiftVocabulary is { } current && current.Words == Settings.VocabularyWords && Math.Abs(pictures - current.LearnedFrom) <= Settings.VocabularyStaleShare * current.LearnedFrom)
            return false;
        long total = all.Sum(f => (long)f.Features.Count);
        if (total < Settings.VocabularyWords * 4L)
            return false;
        // An even sample over the catalogue: every k-th descriptor, so that no picture dominates.
        long step = Math.Max(1, total / Settings.VocabularySample);
        var sample = new List<byte>();
        long index = 0;
        foreach (var (_, features) in all)
        {
            for (int i = 0; i < features.Count; i++, index++)
            {
                if (index % step == 0)
                    sample.AddRange(features.Descriptor(i));
            }
        }
        var centres = engine.LearnVocabulary(sample.ToArray(), Settings.VocabularyWords, seed);
        var words = new Dictionary<string, ushort[]>(StringComparer.Ordinal);
        foreach (var (imageId, features) in all)
            words[imageId] = engine.Quantize(features, centres).Select(w => (ushort)w).ToArray();
        store.SetSiftVocabulary(SiftVocabulary.Create(centres, pictures, DateTimeOffset.UtcNow), words);
        return true;
    }

    /// <summary>Gives SIFT features (and words, when a vocabulary exists) to stored images that have none; returns how many got them.</summary>
    public int Backfill(Func<byte[], RgbImage> decode, CancellationToken cancellation = default)
    {
        int filled = 0;
        Parallel.ForEach(store.ImagesWithoutSiftFeatures(), new ParallelOptions { CancellationToken = cancellation }, imageId =>
        {
            if (store.GetImageBytes(imageId) is not { } bytes)
                return;
            try
            {
                var features = Describe(decode(bytes), forCatalogue: true);
                if (store.SetSiftFeatures(imageId, features, WordsOf(features)))
                    Interlocked.Increment(ref filled);
            }
            catch (ImageDecodeException)
            {
                // Stored bytes that no longer decode keep their vectors; they just get no SIFT features.
            }
        });
        return filled;
    }
}
