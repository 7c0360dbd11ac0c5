using System.Buffers.Binary;
using System.IO.Compression;
using ArtMatch.Core.Imaging;
using ArtMatch.TestSupport;

namespace ArtMatch.Imaging.Tests;

/// <summary>Fixtures: real photos from the dev set, and small files crafted byte by byte.</summary>
internal static class TestImages
{
    public static byte[] DevJpeg(int index = 0)
    {
        var line = File.ReadLines(RepoPaths.DevFile("catalog.csv")).Skip(1 + index).First();
        return File.ReadAllBytes(RepoPaths.DevFile(line.Split(',')[1]));
    }

    public static double MeanAbsDiff(RgbImage a, RgbImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
            sum += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        return (double)sum / a.Pixels.Length;
    }

    /// <summary>Pixels as EXIF orientation <paramref name="orientation"/> (3, 6 or 8) tells a viewer to show a stored picture.</summary>
    public static RgbImage ShowAsOriented(RgbImage stored, int orientation)
    {
        int w = stored.Width, h = stored.Height;
        bool quarter = orientation is 6 or 8;
        int outW = quarter ? h : w, outH = quarter ? w : h;
        var pixels = new byte[stored.Pixels.Length];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var (tx, ty) = orientation switch
                {
                    3 => (w - 1 - x, h - 1 - y),   // 180 degrees
                    6 => (h - 1 - y, x),           // 90 degrees clockwise
                    8 => (y, w - 1 - x),           // 90 degrees anticlockwise
                    _ => throw new ArgumentOutOfRangeException(nameof(orientation)),
                };
                Buffer.BlockCopy(stored.Pixels, (y * w + x) * 3, pixels, (ty * outW + tx) * 3, 3);
            }
        }
        return new RgbImage(outW, outH, pixels);
    }

    /// <summary>The JPEG with an EXIF APP1 segment holding only Orientation inserted after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] app1 =
        [
            0xFF, 0xE1, 0x00, 0x22,                         // APP1, length 34 (includes these two bytes)
            (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0, // "Exif\0\0"
            (byte)'M', (byte)'M', 0x00, 0x2A,               // TIFF header, big-endian
            0x00, 0x00, 0x00, 0x08,                         // first IFD at offset 8
            0x00, 0x01,                                     // one entry
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, // tag 0x0112 Orientation, SHORT, count 1
            (byte)(orientation >> 8), (byte)orientation, 0x00, 0x00, // value
            0x00, 0x00, 0x00, 0x00,                         // no next IFD
        ];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>A PNG that declares its size in a valid IHDR but holds almost no pixel data.</summary>
    public static byte[] PngHeader(int width, int height) =>
        Png(width, height, colourType: 2, bitDepth: 8, new byte[1000]);

    /// <summary>
    /// A PNG of the given IHDR colour type (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA) and bit depth whose
    /// rows are <paramref name="rows"/> (each row: filter byte 0, then samples, 16-bit big-endian).
    /// </summary>
    public static byte[] Png(int width, int height, byte colourType, byte bitDepth, byte[] rows)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        Chunk(stream, "IHDR", ihdr);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                z.Write(rows);
            Chunk(stream, "IDAT", compressed.ToArray());
        }
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>Rows for <see cref="Png"/>: every row the same <paramref name="row"/> bytes.</summary>
    public static byte[] Rows(int height, params byte[] row)
    {
        var rows = new byte[height * (row.Length + 1)];
        for (int y = 0; y < height; y++)
            row.CopyTo(rows, y * (row.Length + 1) + 1);
        return rows;
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32(typeAndData));
        stream.Write(crc);
    }
}

/// <summary>
/// libvips keeps one error buffer per process. Decodes on parallel threads stay correct (every failure
/// is still a failure of the right kind), but one thread may pick up another's message text; the test
/// classes that assert on message text therefore share this collection and never run side by side.
/// libvips' memory counters are process-wide too: a test that reads them must not see another class's
/// decode in flight, so this collection runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibvipsErrorBuffer
{
    public const string Name = "libvips error buffer";
}

/// <summary>Uncompressed multi-page TIFFs written byte by byte (libvips' tiffsave only writes true pyramids).</summary>
internal static class TiffFixture
{
    /// <summary>Little-endian baseline TIFF, one RGB page per picture, each page one strip.</summary>
    public static byte[] Pages(params RgbImage[] pages)
    {
        using var stream = new MemoryStream();
        var writer = new BinaryWriter(stream);
        writer.Write("II*\0"u8);
        writer.Write(0u); // first IFD offset, patched below
        long previousLink = 4;
        foreach (var page in pages)
        {
            long bitsOffset = stream.Position;
            writer.Write((ushort)8);
            writer.Write((ushort)8);
            writer.Write((ushort)8);
            long pixelsOffset = stream.Position;
            writer.Write(page.Pixels);
            if (stream.Position % 2 == 1)
                writer.Write((byte)0);
            long ifdOffset = stream.Position;
            Patch(writer, previousLink, (uint)ifdOffset);
            (ushort Tag, ushort Type, uint Value)[] entries =
            [
                (256, 4, (uint)page.Width),          // ImageWidth, LONG
                (257, 4, (uint)page.Height),         // ImageLength
                (258, 3, (uint)bitsOffset),          // BitsPerSample, 3 SHORTs at an offset
                (259, 3, 1),                         // Compression: none
                (262, 3, 2),                         // PhotometricInterpretation: RGB
                (273, 4, (uint)pixelsOffset),        // StripOffsets
                (277, 3, 3),                         // SamplesPerPixel
                (278, 4, (uint)page.Height),         // RowsPerStrip: one strip
                (279, 4, (uint)page.Pixels.Length),  // StripByteCounts
                (284, 3, 1),                         // PlanarConfiguration: interleaved
            ];
            writer.Write((ushort)entries.Length);
            foreach (var (tag, type, value) in entries)
            {
                writer.Write(tag);
                writer.Write(type);
                writer.Write(tag == 258 ? 3u : 1u);
                if (type == 3 && tag != 258)
                {
                    writer.Write((ushort)value);
                    writer.Write((ushort)0);
                }
                else
                    writer.Write(value);
            }
            previousLink = stream.Position;
            writer.Write(0u); // next IFD, patched by the next page
        }
        writer.Flush();
        return stream.ToArray();
    }

    private static void Patch(BinaryWriter writer, long at, uint value)
    {
        long here = writer.BaseStream.Position;
        writer.BaseStream.Position = at;
        writer.Write(value);
        writer.BaseStream.Position = here;
    }
}
