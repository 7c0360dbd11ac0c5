using System.Buffers.Binary;
using System.IO.Compression;
using ArtMatch.Core.Imaging;
using ArtMatch.Imaging.Internal;
using ArtMatch.TestSupport;

namespace ArtMatch.Imaging.Tests;

public class VipsImageDecoderTests
{
    private readonly VipsImageDecoder _decoder = new();

    private static byte[] DevJpeg(int index = 0)
    {
        var line = File.ReadLines(RepoPaths.DevFile("catalog.csv")).Skip(1 + index).First();
        return File.ReadAllBytes(RepoPaths.DevFile(line.Split(',')[1]));
    }

    [Fact]
    public void Decode_JpegInside_KeepsAspectWithLongSideAsAsked()
    {
        var info = _decoder.Probe(DevJpeg());

        var image = _decoder.Decode(DevJpeg(), DecodeOptions.LongSide(200));

        Assert.Equal("jpeg", info.Format);
        Assert.Equal(200, Math.Max(image.Width, image.Height));
        Assert.InRange((double)image.Width / image.Height, (double)info.Width / info.Height * 0.97, (double)info.Width / info.Height * 1.03);
        Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
    }

    [Fact]
    public void Decode_CoverCentreCrop_GivesExactSize()
    {
        var image = _decoder.Decode(DevJpeg(), new DecodeOptions(new ImageSize(224, 224), ResizeFit.CoverCentreCrop));

        Assert.Equal((224, 224), (image.Width, image.Height));
    }

    [Fact]
    public void Decode_NoUpscale_KeepsSmallPictureSize()
    {
        var info = _decoder.Probe(DevJpeg());

        var image = _decoder.Decode(DevJpeg(), DecodeOptions.LongSide(100_000, allowUpscale: false));

        Assert.Equal((info.Width, info.Height), (image.Width, image.Height));
    }

    [Fact]
    public void Decode_ShrinkOnLoad_MatchesFullDecodeThenResize()
    {
        var jpeg = DevJpeg(1);
        var info = _decoder.Probe(jpeg);
        var full = _decoder.Decode(jpeg, DecodeOptions.LongSide(Math.Max(info.Width, info.Height), allowUpscale: false));

        var shrunk = _decoder.Decode(jpeg, DecodeOptions.LongSide(96));
        var reference = ImageOps.Resize(full, shrunk.Width, shrunk.Height);

        Assert.True(MeanAbsDiff(shrunk, reference) < 6, $"mean abs diff {MeanAbsDiff(shrunk, reference):F2}");
    }

    [Fact]
    public void Decode_ExifOrientation6_ComesOutUprightLikeItsRotatedTwin()
    {
        var jpeg = DevJpeg(2);
        var plain = _decoder.Decode(jpeg, DecodeOptions.LongSide(100_000, allowUpscale: false));
        var tagged = WithExifOrientation(jpeg, 6);

        var upright = _decoder.Decode(tagged, DecodeOptions.LongSide(100_000, allowUpscale: false));

        Assert.Equal(6, _decoder.Probe(tagged).Orientation);
        var expected = RotateClockwise(plain);
        Assert.Equal((expected.Width, expected.Height), (upright.Width, upright.Height));
        Assert.True(MeanAbsDiff(upright, expected) < 1, $"mean abs diff {MeanAbsDiff(upright, expected):F2}");
    }

    [Theory]
    [InlineData("webp")]
    [InlineData("heif")]
    [InlineData("png")]
    public void Decode_OtherFormats_DecodeToTheSamePicture(string name)
    {
        var format = name switch { "webp" => VipsEncoder.Format.Webp, "heif" => VipsEncoder.Format.Heif, _ => VipsEncoder.Format.Png };
        var jpeg = DevJpeg(3);
        var encoded = VipsEncoder.Reencode(jpeg, format);

        var image = _decoder.Decode(encoded, DecodeOptions.LongSide(128));
        var reference = _decoder.Decode(jpeg, DecodeOptions.LongSide(128));

        Assert.Equal(name, _decoder.Probe(encoded).Format);
        Assert.Equal((reference.Width, reference.Height), (image.Width, image.Height));
        Assert.True(MeanAbsDiff(image, reference) < 8, $"{name}: mean abs diff {MeanAbsDiff(image, reference):F2}");
    }

    [Fact]
    public void Decode_TruncatedJpeg_FailsAsCorruptWithLibvipsMessage()
    {
        var jpeg = DevJpeg();

        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(jpeg[..(jpeg.Length / 2)], DecodeOptions.LongSide(224)));

        Assert.Equal(ImageErrorKind.Corrupt, error.Kind);
        Assert.Contains("damaged", error.Message);
    }

    [Fact]
    public void Decode_ZeroBytes_FailsAsEmpty()
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode([], DecodeOptions.LongSide(224)));

        Assert.Equal(ImageErrorKind.Empty, error.Kind);
    }

    [Fact]
    public void Decode_TextFile_FailsAsUnsupportedNamingTheFormats()
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode("hello, this is not an image\n"u8, DecodeOptions.LongSide(224)));

        Assert.Equal(ImageErrorKind.UnsupportedFormat, error.Kind);
        Assert.Contains("JPEG", error.Message);
    }

    [Fact]
    public void Decode_Declared30000x30000Png_RefusedBeforeDecoding()
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(PngHeader(30000, 30000), DecodeOptions.LongSide(224)));

        Assert.Equal(ImageErrorKind.TooLarge, error.Kind);
        Assert.Contains("30000x30000", error.Message);
    }

    [Fact]
    public void Decode_AfterFailures_StillWorks()
    {
        Assert.Throws<ImageDecodeException>(() => _decoder.Decode(DevJpeg()[..500], DecodeOptions.LongSide(224)));
        Assert.Throws<ImageDecodeException>(() => _decoder.Decode(PngHeader(30000, 30000), DecodeOptions.LongSide(224)));

        var image = _decoder.Decode(DevJpeg(), DecodeOptions.LongSide(64));

        Assert.Equal(64, Math.Max(image.Width, image.Height));
    }

    [Fact]
    public void Decode_FourThreads_GiveIdenticalPixels()
    {
        var jpeg = DevJpeg(4);
        var reference = _decoder.Decode(jpeg, DecodeOptions.LongSide(300)).Pixels;

        var results = new byte[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = _decoder.Decode(jpeg, DecodeOptions.LongSide(300)).Pixels);

        Assert.All(results, r => Assert.Equal(reference, r));
    }

    [Fact]
    public void ThumbnailJpeg_GivesASmallJpeg()
    {
        var thumbnail = _decoder.ThumbnailJpeg(DevJpeg(), 64);

        var info = _decoder.Probe(thumbnail);
        Assert.Equal("jpeg", info.Format);
        Assert.Equal(64, Math.Max(info.Width, info.Height));
    }

    private static double MeanAbsDiff(RgbImage a, RgbImage b)
    {
        long sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
            sum += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        return (double)sum / a.Pixels.Length;
    }

    private static RgbImage RotateClockwise(RgbImage source)
    {
        int w = source.Width, h = source.Height;
        var pixels = new byte[source.Pixels.Length];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // (x, y) lands at column h-1-y, row x of the h-wide result.
                int to = (x * h + (h - 1 - y)) * 3, from = (y * w + x) * 3;
                pixels[to] = source.Pixels[from];
                pixels[to + 1] = source.Pixels[from + 1];
                pixels[to + 2] = source.Pixels[from + 2];
            }
        }
        return new RgbImage(h, w, pixels);
    }

    /// <summary>The JPEG with an EXIF APP1 segment holding only Orientation inserted after SOI.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
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
    private static byte[] PngHeader(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type RGB
        Chunk(stream, "IHDR", ihdr);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                z.Write(new byte[1000]);
            Chunk(stream, "IDAT", compressed.ToArray());
        }
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
