using System.Collections.Concurrent;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>What verification needs of a catalogue picture: local features, its size, and a small copy for the colour check.</summary>
public sealed record CatalogueLocal(LocalFeatures Features, int Width, int Height, RgbImage Thumbnail)
{
    /// <summary>Long side of the catalogue copy the colour check reads (colours need few pixels).</summary>
    public const int ThumbnailLongSide = 160;

    /// <summary>How it was made; a stored one made another way is not used (<see cref="CatalogueLocalRecipe"/>).</summary>
    public CatalogueLocalRecipe Recipe { get; init; }

    /// <summary>From the decoded picture and its local features (<see cref="ImageDescriber.LocalFeaturesOf(RgbImage)"/>).</summary>
    public static CatalogueLocal Of(RgbImage picture, LocalFeatures features, CatalogueLocalRecipe recipe)
    {
        double shrink = Math.Min(1.0, (double)ThumbnailLongSide / Math.Max(picture.Width, picture.Height));
        var thumbnail = ImageOps.Resize(picture, Math.Max(1, (int)Math.Round(picture.Width * shrink)), Math.Max(1, (int)Math.Round(picture.Height * shrink)));
        return new CatalogueLocal(features, picture.Width, picture.Height, thumbnail) { Recipe = recipe };
    }
}

/// <summary>
/// The settings a <see cref="CatalogueLocal"/> depends on besides the model (which the store keys it by):
/// the decode size, the local features' input size and the thumbnail's size.
/// </summary>
public readonly record struct CatalogueLocalRecipe(int DecodeLongSide, int LocalFeatureScale, int ThumbnailLongSide)
{
    public static CatalogueLocalRecipe Of(DescriberSettings settings) =>
        new(settings.DecodeLongSide, settings.LocalFeatureScale, CatalogueLocal.ThumbnailLongSide);
}

/// <summary>Catalogue pictures as verification reads them; null when the picture is gone or has no local features.</summary>
public interface ICataloguePictures
{
    CatalogueLocal? Get(string imageId);
}

/// <summary>
/// Catalogue pictures as the store keeps them for verification (made at import), or, for a picture
/// stored without them or with another recipe, decoded and described from its stored bytes the first
/// time a photo is checked against it; then kept (up to <see cref="Capacity"/>; the cache is emptied
/// when it overflows). Thread-safe.
/// </summary>
public sealed class CataloguePictureCache(ImageDescriber describer, ICatalogStore store) : ICataloguePictures
{
    private readonly CatalogueLocalRecipe _recipe = CatalogueLocalRecipe.Of(describer.Settings);

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
        // Stored at import: no decode and no model run (at a million pictures nearly every leader is a first visit).
        if (store.GetCatalogueLocal(imageId) is { } stored && stored.Recipe == _recipe)
            return stored;
        return LoadFromBytes(imageId);
    }

    /// <summary>Decoded and described from the stored bytes, whatever the store keeps (a picture stored without its local features; tests compare the two).</summary>
    public CatalogueLocal? LoadFromBytes(string imageId)
    {
        var bytes = store.GetImageBytes(imageId);
        if (bytes is null)
            return null;
        var picture = describer.Decode(bytes);
        if (describer.LocalFeaturesOf(picture) is not { } features)
            return null;
        return CatalogueLocal.Of(picture, features, _recipe);
    }
}
