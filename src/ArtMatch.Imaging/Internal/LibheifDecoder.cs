using System.Runtime.InteropServices;
using ArtMatch.Core.Imaging;
using NetVips;

namespace ArtMatch.Imaging.Internal;

/// <summary>
/// Decodes HEIF pictures coded with HEVC (a phone's HEIC) through the system's libheif (Debian
/// libheif1 with libde265), because the libvips bundled by NetVips.Native carries no HEVC decoder
/// (its libheif reads AV1 only). The primary picture only, with libheif's own transformations (irot,
/// imir, clap) applied, as RGB(A) pixels handed back to libvips for the rest of the pipeline.
/// </summary>
internal static unsafe partial class LibheifDecoder
{
    private const string Library = "libheif.so.1";
    private const int ColorspaceRgb = 1;
    private const int ChromaInterleavedRgb = 10;
    private const int ChromaInterleavedRgba = 11;
    private const int ChannelInterleaved = 10;

    [StructLayout(LayoutKind.Sequential)]
    private struct HeifError
    {
        public int Code;
        public int Subcode;
        public nint Message;
    }

    private static readonly Lazy<bool> Available = new(Probe);

    /// <summary>Whether the system's libheif can be loaded (apt package libheif1, which setup installs).</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>
    /// The primary picture of <paramref name="encoded"/> as a libvips image (sRGB, 3 or 4 bands, 8-bit),
    /// refused when it declares more than <paramref name="maxPixels"/> before any pixel is decoded. The
    /// picture's ICC profile, when it has one, goes with it so that the caller can convert to sRGB.
    /// </summary>
    public static Image DecodePrimary(ReadOnlySpan<byte> encoded, long maxPixels)
    {
        nint context = ContextAlloc();
        nint handle = 0, picture = 0;
        try
        {
            fixed (byte* data = encoded)
            {
                Check(ReadFromMemoryWithoutCopy(context, data, (nuint)encoded.Length, 0), "could not read the HEIF container");
                Check(GetPrimaryImageHandle(context, &handle), "the HEIF file has no primary picture");
                long width = HandleWidth(handle), height = HandleHeight(handle);
                if (width * height > maxPixels || width < 1 || height < 1)
                    throw new ImageDecodeException(ImageErrorKind.TooLarge, $"The HEIF picture declares {width}x{height} pixels; the limit is {maxPixels / 1e6:0.#} MP.");
                bool alpha = HandleHasAlpha(handle) != 0;
                Check(DecodeImage(handle, &picture, ColorspaceRgb, alpha ? ChromaInterleavedRgba : ChromaInterleavedRgb, 0), "could not decode the HEVC picture");
                int stride;
                byte* plane = ImageGetPlaneReadonly(picture, ChannelInterleaved, &stride);
                if (plane is null)
                    throw new ImageDecodeException(ImageErrorKind.Corrupt, "The image is damaged or unreadable: libheif returned no pixels.");
                // The decoded size can differ from the handle's after a crop (clap); read it from the picture.
                int outWidth = ImageGetWidth(picture, ChannelInterleaved), outHeight = ImageGetHeight(picture, ChannelInterleaved);
                int bands = alpha ? 4 : 3;
                var image = stride == outWidth * bands
                    ? Image.NewFromMemoryCopy((nint)plane, (ulong)((long)stride * outHeight), outWidth, outHeight, bands, Enums.BandFormat.Uchar)
                    : Tight(plane, stride, outWidth, outHeight, bands);
                return WithProfile(image, handle);
            }
        }
        finally
        {
            if (picture != 0)
                ImageRelease(picture);
            if (handle != 0)
                HandleRelease(handle);
            ContextFree(context);
        }
    }

    /// <summary>Rows padded past their pixels: copied row by row into a tight buffer.</summary>
    private static Image Tight(byte* plane, int stride, int width, int height, int bands)
    {
        int row = width * bands;
        var tight = new byte[(long)row * height];
        for (int y = 0; y < height; y++)
            new ReadOnlySpan<byte>(plane + (long)y * stride, row).CopyTo(tight.AsSpan(y * row, row));
        return Image.NewFromMemory(tight, width, height, bands, Enums.BandFormat.Uchar);
    }

    private static Image WithProfile(Image image, nint handle)
    {
        var srgb = image.Copy(interpretation: Enums.Interpretation.Srgb);
        image.Dispose();
        nuint size = RawColorProfileSize(handle);
        if (size == 0 || size > 1 << 20)
            return srgb;
        var profile = new byte[(int)size];
        fixed (byte* target = profile)
        {
            if (RawColorProfile(handle, target).Code != 0)
                return srgb;
        }
        var tagged = srgb.Mutate(m => m.Set(GValue.BlobType, "icc-profile-data", profile));
        srgb.Dispose();
        return tagged;
    }

    private static void Check(HeifError error, string what)
    {
        if (error.Code != 0)
        {
            string detail = error.Message == 0 ? "" : Marshal.PtrToStringUTF8(error.Message) ?? "";
            throw new ImageDecodeException(ImageErrorKind.Corrupt, $"The image is damaged or unreadable: {what}: {detail} (libheif {error.Code}/{error.Subcode})");
        }
    }

    private static bool Probe()
    {
        try
        {
            return NativeLibrary.TryLoad(Library, out _) && GetVersion() != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport(Library, EntryPoint = "heif_get_version")]
    private static partial nint GetVersion();

    [LibraryImport(Library, EntryPoint = "heif_context_alloc")]
    private static partial nint ContextAlloc();

    [LibraryImport(Library, EntryPoint = "heif_context_free")]
    private static partial void ContextFree(nint context);

    [LibraryImport(Library, EntryPoint = "heif_context_read_from_memory_without_copy")]
    private static partial HeifError ReadFromMemoryWithoutCopy(nint context, byte* data, nuint size, nint options);

    [LibraryImport(Library, EntryPoint = "heif_context_get_primary_image_handle")]
    private static partial HeifError GetPrimaryImageHandle(nint context, nint* handle);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_get_width")]
    private static partial int HandleWidth(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_get_height")]
    private static partial int HandleHeight(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_has_alpha_channel")]
    private static partial int HandleHasAlpha(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_get_raw_color_profile_size")]
    private static partial nuint RawColorProfileSize(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_get_raw_color_profile")]
    private static partial HeifError RawColorProfile(nint handle, byte* target);

    [LibraryImport(Library, EntryPoint = "heif_image_handle_release")]
    private static partial void HandleRelease(nint handle);

    [LibraryImport(Library, EntryPoint = "heif_decode_image")]
    private static partial HeifError DecodeImage(nint handle, nint* image, int colorspace, int chroma, nint options);

    [LibraryImport(Library, EntryPoint = "heif_image_get_plane_readonly")]
    private static partial byte* ImageGetPlaneReadonly(nint image, int channel, int* stride);

    [LibraryImport(Library, EntryPoint = "heif_image_get_width")]
    private static partial int ImageGetWidth(nint image, int channel);

    [LibraryImport(Library, EntryPoint = "heif_image_get_height")]
    private static partial int ImageGetHeight(nint image, int channel);

    [LibraryImport(Library, EntryPoint = "heif_image_release")]
    private static partial void ImageRelease(nint image);
}
