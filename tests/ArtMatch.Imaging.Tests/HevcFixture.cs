using System.Runtime.InteropServices;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Imaging.Tests;

/// <summary>
/// Writes real HEVC-coded HEIC files (what a phone sends) with the system's libheif and its x265
/// encoder (Debian libheif1, which setup installs), optionally turned by an 'irot' property.
/// </summary>
internal static unsafe partial class HevcFixture
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

    public static byte[] Encode(RgbImage picture, int quality = 90)
    {
        var context = ContextAlloc();
        nint encoder = 0, image = 0, handle = 0;
        var path = Path.Combine(Path.GetTempPath(), $"artmatch-hevc-{Guid.NewGuid():N}.heic");
        try
        {
            Check(GetEncoderForFormat(context, CompressionHevc, &encoder));
            Check(SetLossyQuality(encoder, quality));
            Check(ImageCreate(picture.Width, picture.Height, ColorspaceRgb, ChromaInterleavedRgb, &image));
            Check(ImageAddPlane(image, ChannelInterleaved, picture.Width, picture.Height, 8));
            int stride;
            byte* plane = ImageGetPlane(image, ChannelInterleaved, &stride);
            int row = picture.Width * 3;
            for (int y = 0; y < picture.Height; y++)
                picture.Pixels.AsSpan(y * row, row).CopyTo(new Span<byte>(plane + (long)y * stride, row));
            Check(EncodeImage(context, image, encoder, 0, &handle));
            Check(WriteToFile(context, path));
            return File.ReadAllBytes(path);
        }
        finally
        {
            if (handle != 0) HandleRelease(handle);
            if (image != 0) ImageRelease(image);
            if (encoder != 0) EncoderRelease(encoder);
            ContextFree(context);
            File.Delete(path);
        }
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

    [LibraryImport(Library, EntryPoint = "heif_encoder_set_lossy_quality")]
    private static partial HeifError SetLossyQuality(nint encoder, int quality);

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

    [LibraryImport(Library, EntryPoint = "heif_image_handle_release")]
    private static partial void HandleRelease(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_context_write_to_file", StringMarshalling = StringMarshalling.Utf8)]
    private static partial HeifError WriteToFile(nint context, string path);
}
