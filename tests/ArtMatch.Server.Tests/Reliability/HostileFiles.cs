using System.Buffers.Binary;
using System.Text;
using NetVips;

namespace ArtMatch.Server.Tests.Reliability;

/// <summary>
/// Hostile picture files, generated here from one real photo: decompression bombs per format (a real
/// 144 MP deflate TIFF and a real 49 MP one; for the other formats a real small file whose header is
/// rewritten to declare far more pixels than it holds, which is what a bomb's header does), too many
/// frames, truncations of a real file in each format, and files of formats the server must not
/// decode (SVG, PDF, PPM).
/// </summary>
internal static class HostileFiles
{
    /// <summary>The bomb: 12000x12000 (144 MP) deflate TIFF, about 800 KB. Over the 50 MP TIFF limit.</summary>
    public static readonly Lazy<byte[]> Tiff144Mp = new(() => UniformTiff(12000, 12000));

    /// <summary>7000x7000 (49 MP) deflate TIFF, about 100 KB: just under the limit, so admitted and decoded for seconds.</summary>
    public static readonly Lazy<byte[]> Tiff49Mp = new(() => UniformTiff(7000, 7000));

    public enum Format { Jpeg, Png, Webp, Tiff, Gif, Avif }

    /// <summary>A real small picture (the photo at 400 px long side) in <paramref name="format"/>.</summary>
    public static byte[] Encode(byte[] photo, Format format)
    {
        using var image = Image.ThumbnailBuffer(photo, 400);
        return format switch
        {
            Format.Jpeg => image.JpegsaveBuffer(q: 85, keep: Enums.ForeignKeep.None),
            Format.Png => image.PngsaveBuffer(),
            Format.Webp => image.WebpsaveBuffer(lossless: true, keep: Enums.ForeignKeep.None),
            Format.Tiff => image.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate),
            Format.Gif => image.GifsaveBuffer(),
            _ => image.HeifsaveBuffer(compression: Enums.ForeignHeifCompression.Av1, effort: 0),
        };
    }

    /// <summary>
    /// The file with its header rewritten to declare <paramref name="width"/> x <paramref name="height"/>
    /// (the body stays the small one): the size check must refuse it before a pixel is decoded.
    /// </summary>
    public static byte[] DeclaringSize(byte[] photo, Format format, int width, int height)
    {
        var file = Encode(photo, format);
        switch (format)
        {
            case Format.Jpeg:
                // Start of frame (baseline): FF C0, length, precision, then height and width, big-endian.
                int sof = IndexOf(file, [0xFF, 0xC0]);
                BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(sof + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(sof + 7), (ushort)width);
                break;
            case Format.Png:
                // IHDR is the first chunk: width and height at 16, its CRC (over type and data) at 29.
                BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(16), width);
                BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(20), height);
                BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(29), System.IO.Hashing.Crc32.HashToUInt32(file.AsSpan(12, 17)));
                break;
            case Format.Webp:
                // Lossless: after "VP8L", its size and the signature byte 0x2F, 14 bits width-1 and 14 bits height-1.
                int vp8l = IndexOf(file, "VP8L"u8.ToArray()) + 9;
                uint bits = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(vp8l));
                bits = (bits & 0xF000_0000u) | (uint)(width - 1) | ((uint)(height - 1) << 14);
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(vp8l), bits);
                break;
            case Format.Gif:
                // The logical screen (at 6) and the first image descriptor (after the colour table and extensions).
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(6), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), (ushort)height);
                int descriptor = GifImageDescriptor(file);
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(descriptor + 5), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(descriptor + 7), (ushort)height);
                break;
            case Format.Avif:
                // Every image spatial extent property ('ispe': version and flags, then width and height, big-endian).
                for (int at = IndexOf(file, "ispe"u8.ToArray()); at >= 0; at = IndexOf(file, "ispe"u8.ToArray(), at + 4))
                {
                    BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(at + 8), width);
                    BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(at + 12), height);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), "TIFF bombs are real files: see Tiff144Mp.");
        }
        return file;
    }

    /// <summary>The file cut to <paramref name="fraction"/> of its length (a transfer broken off).</summary>
    public static byte[] Truncated(byte[] photo, Format format, double fraction)
    {
        var file = Encode(photo, format);
        return file[..(int)(file.Length * fraction)];
    }

    /// <summary>
    /// 16x16 frames of noise (the GIF writer merges identical frames), <paramref name="frames"/> of
    /// them: a multi-page TIFF or an animated GIF.
    /// </summary>
    public static byte[] ManyFrames(Format format, int frames)
    {
        using var noise = Image.Gaussnoise(16, 16 * frames, mean: 128, sigma: 40);
        using var grey = noise.Cast(Enums.BandFormat.Uchar);
        using var paged = grey.Mutate(m => m.Set(GValue.GIntType, "page-height", 16));
        return format == Format.Gif ? paged.GifsaveBuffer() : paged.TiffsaveBuffer();
    }

    /// <summary>An SVG with nested entities (a billion laughs) and a 100000 px canvas.</summary>
    public static byte[] Svg() => Encoding.UTF8.GetBytes("""
        <?xml version="1.0"?>
        <!DOCTYPE svg [
          <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
          <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
          <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
          <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
        ]>
        <svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">
          <text x="10" y="10">&d;</text>
          <image href="file:///etc/passwd" width="10" height="10"/>
        </svg>
        """);

    /// <summary>A PDF whose page holds a JPEG (a catalogue page): pictures come as images, not documents.</summary>
    public static byte[] Pdf(byte[] jpeg)
    {
        var pdf = new MemoryStream();
        void Write(string text) => pdf.Write(Encoding.ASCII.GetBytes(text));
        Write("%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n");
        Write("2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n");
        Write("3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Resources <</XObject <</I 4 0 R>>>> /Contents 5 0 R>> endobj\n");
        Write($"4 0 obj <</Type /XObject /Subtype /Image /Width 400 /Height 300 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {jpeg.Length}>> stream\n");
        pdf.Write(jpeg);
        Write("\nendstream endobj\n5 0 obj <</Length 35>> stream\nq 14400 0 0 14400 0 0 cm /I Do Q\nendstream endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n");
        return pdf.ToArray();
    }

    /// <summary>A binary PPM declaring 30000x30000 (a bomb in a format libvips reads but the server blocks).</summary>
    public static byte[] Ppm() => [.. "P6\n30000 30000\n255\n"u8.ToArray(), .. new byte[4096]];

    private static byte[] UniformTiff(int width, int height)
    {
        using var black = Image.Black(width, height, bands: 3);
        using var sum = black + new double[] { 120, 80, 40 };
        using var coloured = sum.Cast(Enums.BandFormat.Uchar);
        return coloured.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate);
    }

    private static int GifImageDescriptor(byte[] gif)
    {
        int at = 13;
        if ((gif[10] & 0x80) != 0)
            at += 3 << ((gif[10] & 0x07) + 1);
        while (gif[at] == 0x21)
        {
            at += 2; // introducer and label, then sub-blocks until an empty one
            while (gif[at] != 0)
                at += gif[at] + 1;
            at++;
        }
        return gif[at] == 0x2C ? at : throw new InvalidOperationException("no GIF image descriptor found");
    }

    private static int IndexOf(byte[] data, byte[] pattern, int from = 0)
    {
        int at = data.AsSpan(from).IndexOf(pattern);
        return at < 0 ? -1 : from + at;
    }
}
