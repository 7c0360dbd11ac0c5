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
    /// A picture of one colour, <paramref name="width"/> x <paramref name="height"/> per frame, in
    /// <paramref name="format"/> (TIFF deflate-compressed): tiny files that declare many pixels, as a
    /// decompression bomb does (tests of the decode budget and of cancellation).
    /// </summary>
    public static byte[] Uniform(int width, int height, Format format, int frames = 1)
    {
        LibvipsRuntime.EnsureStarted();
        using var black = Image.Black(width, height * frames, bands: 3);
        using var sum = black + new double[] { 120, 80, 40 };
        using var coloured = sum.Cast(Enums.BandFormat.Uchar);
        using var paged = coloured.Mutate(m => m.Set(GValue.GIntType, "page-height", height));
        return format switch
        {
            Format.Tiff => paged.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate),
            Format.Gif => paged.GifsaveBuffer(),
            Format.Webp => paged.WebpsaveBuffer(),
            Format.Avif => paged.HeifsaveBuffer(compression: Enums.ForeignHeifCompression.Av1),
            _ => paged.PngsaveBuffer(),
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
