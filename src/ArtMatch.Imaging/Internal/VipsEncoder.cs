using ArtMatch.Core.Imaging;
using NetVips;

namespace ArtMatch.Imaging.Internal;

/// <summary>Re-encodes a picture in another format (tests and benchmarks make AVIF/WebP/PNG fixtures with it).</summary>
internal static class VipsEncoder
{
    public enum Format { Webp, Avif, Png, Tiff, Gif }

    public static byte[] Reencode(ReadOnlySpan<byte> encoded, Format format)
    {
        LibvipsRuntime.EnsureStarted();
        using var image = Image.NewFromBuffer(encoded);
        return format switch
        {
            Format.Webp => image.WebpsaveBuffer(),
            Format.Avif => image.HeifsaveBuffer(compression: Enums.ForeignHeifCompression.Av1),
            Format.Tiff => image.TiffsaveBuffer(),
            Format.Gif => image.GifsaveBuffer(),
            _ => image.PngsaveBuffer(),
        };
    }

    /// <summary>
    /// Re-encodes as a JPEG whose pixels are in <paramref name="profile"/> (built-in "p3" or "cmyk"),
    /// with that profile embedded, as a phone or a print workflow would save it. Source pixels
    /// without a profile are taken as sRGB.
    /// </summary>
    public static byte[] ReencodeWithProfile(ReadOnlySpan<byte> encoded, string profile)
    {
        LibvipsRuntime.EnsureStarted();
        using var image = Image.NewFromBuffer(encoded);
        using var transformed = image.IccTransform(profile, inputProfile: "srgb");
        return transformed.JpegsaveBuffer(q: 95);
    }

    /// <summary>Encodes pixels as JPEG (benchmark fixtures: large photos made from small ones).</summary>
    public static byte[] EncodeJpeg(RgbImage image, int quality)
    {
        LibvipsRuntime.EnsureStarted();
        using var vipsImage = Image.NewFromMemoryCopy<byte>(image.Pixels, image.Width, image.Height, 3, Enums.BandFormat.Uchar);
        return vipsImage.JpegsaveBuffer(q: quality, keep: Enums.ForeignKeep.None);
    }
}
