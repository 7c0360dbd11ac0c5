using System.Runtime.InteropServices;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Imaging.Tests;

/// <summary>
/// Writes HEIC files with libheif directly (libheif1 from Debian, HEVC through its x265 encoder),
/// for what libvips' heifsave cannot make: a file whose embedded thumbnail shows a different
/// picture from its primary image.
/// </summary>
internal static unsafe partial class HeifFixture
{
    private const string Library = "libheif.so.1";
    private const int ColorspaceRgb = 1;
    private const int ChromaInterleavedRgb = 10;
    private const int ChannelInterleaved = 10;
    private const int CompressionHevc = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct HeifError
    {
        public int Code;
        public int Subcode;
        public nint Message;
    }

    public static byte[] WithThumbnail(RgbImage primary, RgbImage thumbnail, int thumbnailBox)
    {
        var context = ContextAlloc();
        nint encoder = 0, primaryImage = 0, thumbImage = 0, primaryHandle = 0, thumbHandle = 0;
        var path = Path.Combine(Path.GetTempPath(), $"artmatch-heif-{Guid.NewGuid():N}.heic");
        try
        {
            Check(GetEncoderForFormat(context, CompressionHevc, &encoder));
            primaryImage = ToHeifImage(primary);
            thumbImage = ToHeifImage(thumbnail);
            Check(EncodeImage(context, primaryImage, encoder, 0, &primaryHandle));
            Check(EncodeThumbnail(context, thumbImage, primaryHandle, encoder, 0, thumbnailBox, &thumbHandle));
            if (thumbHandle == 0)
                throw new InvalidOperationException("libheif made no thumbnail: the thumbnail picture must be larger than the box.");
            Check(WriteToFile(context, path));
            return File.ReadAllBytes(path);
        }
        finally
        {
            if (thumbHandle != 0) HandleRelease(thumbHandle);
            if (primaryHandle != 0) HandleRelease(primaryHandle);
            if (thumbImage != 0) ImageRelease(thumbImage);
            if (primaryImage != 0) ImageRelease(primaryImage);
            if (encoder != 0) EncoderRelease(encoder);
            ContextFree(context);
            File.Delete(path);
        }
    }

    public static RgbImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = r;
            pixels[i + 1] = g;
            pixels[i + 2] = b;
        }
        return new RgbImage(width, height, pixels);
    }

    private static nint ToHeifImage(RgbImage source)
    {
        nint image;
        Check(ImageCreate(source.Width, source.Height, ColorspaceRgb, ChromaInterleavedRgb, &image));
        Check(ImageAddPlane(image, ChannelInterleaved, source.Width, source.Height, 8));
        int stride;
        byte* plane = ImageGetPlane(image, ChannelInterleaved, &stride);
        for (int y = 0; y < source.Height; y++)
            source.Pixels.AsSpan(y * source.Width * 3, source.Width * 3).CopyTo(new Span<byte>(plane + (long)y * stride, source.Width * 3));
        return image;
    }

    private static void Check(HeifError error)
    {
        if (error.Code != 0)
            throw new InvalidOperationException($"libheif: {Marshal.PtrToStringUTF8(error.Message)} ({error.Code}/{error.Subcode})");
    }

    [LibraryImport(Library, EntryPoint = "heif_context_alloc")]
    private static partial nint ContextAlloc();

    [LibraryImport(Library, EntryPoint = "heif_context_free")]
    private static partial void ContextFree(nint context);

    [LibraryImport(Library, EntryPoint = "heif_context_get_encoder_for_format")]
    private static partial HeifError GetEncoderForFormat(nint context, int format, nint* encoder);

    [LibraryImport(Library, EntryPoint = "heif_encoder_release")]
    private static partial void EncoderRelease(nint encoder);

    [LibraryImport(Library, EntryPoint = "heif_image_create")]
    private static partial HeifError ImageCreate(int width, int height, int colorspace, int chroma, nint* image);

    [LibraryImport(Library, EntryPoint = "heif_image_add_plane")]
    private static partial HeifError ImageAddPlane(nint image, int channel, int width, int height, int bitDepth);

    [LibraryImport(Library, EntryPoint = "heif_image_get_plane")]
    private static partial byte* ImageGetPlane(nint image, int channel, int* stride);

    [LibraryImport(Library, EntryPoint = "heif_image_release")]
    private static partial void ImageRelease(nint image);

    [LibraryImport(Library, EntryPoint = "heif_context_encode_image")]
    private static partial HeifError EncodeImage(nint context, nint image, nint encoder, nint options, nint* handle);

    [LibraryImport(Library, EntryPoint = "heif_context_encode_thumbnail")]
    private static partial HeifError EncodeThumbnail(nint context, nint image, nint primaryHandle, nint encoder, nint options, int boxSize, nint* thumbnailHandle);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_release")]
    private static partial void HandleRelease(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_context_write_to_file", StringMarshalling = StringMarshalling.Utf8)]
    private static partial HeifError WriteToFile(nint context, string path);
}
