using System.Collections.Concurrent;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>What verification needs of a catalogue picture: local features, its size, and a small copy for the colour check.</summary>
public sealed record CatalogueLocal(LocalFeatures Features, int Width, int Height, RgbImage Thumbnail);

/// <summary>Catalogue pictures as verification reads them; null when the picture is gone or has no local features.</summary>
public interface ICataloguePictures
{
    CatalogueLocal? Get(string imageId);
}

/// <summary>
/// Catalogue pictures decoded and described from their stored bytes the first time a photo is checked
/// against them, then kept (up to <see cref="Capacity"/>; the cache is emptied when it overflows). Thread-safe.
/// </summary>
public sealed class CataloguePictureCache(ImageDescriber describer, ICatalogStore store) : ICataloguePictures
{
    /// <summary>Long side of the catalogue copy the colour check reads (colours need few pixels).</summary>
    private const int ThumbnailLongSide = 160;

    private readonly ConcurrentDictionary<string, Lazy<CatalogueLocal?>> _cache = new();

    /// <summary>Pictures whose local features (about 350 KB each for MobileNetV2) and colour thumbnail (about 60 KB) stay in memory.</summary>
    public int Capacity { get; init; } = 2048;

    public CatalogueLocal? Get(string imageId)
    {
        if (_cache.Count > Capacity)
            _cache.Clear();
        return _cache.GetOrAdd(imageId, id => new Lazy<CatalogueLocal?>(() => Load(id))).Value;
    }

    private CatalogueLocal? Load(string imageId)
    {
        var bytes = store.GetImageBytes(imageId);
        if (bytes is null)
            return null;
        var picture = describer.Decode(bytes);
        if (describer.LocalFeaturesOf(picture) is not { } features)
            return null;
        double shrink = Math.Min(1.0, (double)ThumbnailLongSide / Math.Max(picture.Width, picture.Height));
        var thumbnail = ImageOps.Resize(picture, Math.Max(1, (int)Math.Round(picture.Width * shrink)), Math.Max(1, (int)Math.Round(picture.Height * shrink)));
        return new CatalogueLocal(features, picture.Width, picture.Height, thumbnail);
    }
}
