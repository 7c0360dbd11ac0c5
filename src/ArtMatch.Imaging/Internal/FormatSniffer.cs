namespace ArtMatch.Imaging.Internal;

/// <summary>
/// Names the format a file claims by its signature. Used only when libvips finds no loader: some of
/// libvips' format checks parse more than the signature (TIFF opens the first directory), so a
/// damaged TIFF would otherwise be reported as "not an image" rather than as damaged.
/// </summary>
internal static class FormatSniffer
{
    private static readonly string[] HeifBrands = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"];

    /// <returns>"JPEG", "PNG", "GIF", "WebP", "TIFF", "HEIF", or null when the signature is none of them.</returns>
    public static string? ClaimedFormat(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
            return "JPEG";
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return "PNG";
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
            return "GIF";
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
            return "WebP";
        // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8) || data.StartsWith("II+\0"u8) || data.StartsWith("MM\0+"u8))
            return "TIFF";
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = System.Text.Encoding.ASCII.GetString(data[8..12]);
            if (HeifBrands.Contains(brand))
                return "HEIF";
        }
        return null;
    }
}
