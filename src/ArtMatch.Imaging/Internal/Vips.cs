using System.Runtime.InteropServices;

namespace ArtMatch.Imaging.Internal;

/// <summary>
/// libvips 8.14 entry points (Debian libvips42). Functions returning int give 0 on success and -1 on
/// failure with the reason in libvips' error buffer. Several are C variadics taking name/value option
/// pairs ended by NULL; they are declared here with the exact options ArtMatch passes. That is sound on
/// x86-64 System V (the only platform ArtMatch targets), where variadic integer and pointer arguments
/// are passed exactly like fixed ones. The one difference, %al (the count of vector registers used),
/// is left unset by a non-variadic call; GCC- and Clang-built callees only test it for zero to decide
/// whether to spill XMM registers, so a stray value costs a few stores, never correctness. No option
/// passed here is a double, which is what would break. The alternative, building each operation with
/// vips_operation_new and GValues, needs a dozen more bindings for the same effect.
/// </summary>
internal static unsafe partial class Vips
{
    public const string Library = "libvips.so.42";
    public const string GObject = "libgobject-2.0.so.0";
    public const string GLib = "libglib-2.0.so.0";

    // VipsSize
    public const int SizeBoth = 0;
    public const int SizeDown = 2;

    // VipsInteresting
    public const int InterestingNone = 0;
    public const int InterestingCentre = 1;

    public const int InterpretationSrgb = 22;

    // VipsFailOn: truncated input is an error (libjpeg/libpng would otherwise pad with grey).
    public const int FailOnTruncated = 1;

    /// <summary>Metadata field holding an embedded ICC profile.</summary>
    public const string IccProfileField = "icc-profile-data";

    [LibraryImport(Library, EntryPoint = "vips_init", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Init(string argv0);

    [LibraryImport(Library, EntryPoint = "vips_block_untrusted_set")]
    public static partial void BlockUntrustedSet(int state);

    [LibraryImport(Library, EntryPoint = "vips_cache_set_max")]
    public static partial void CacheSetMax(int max);

    [LibraryImport(Library, EntryPoint = "vips_error_buffer_copy")]
    public static partial byte* ErrorBufferCopy();

    [LibraryImport(Library, EntryPoint = "vips_error_clear")]
    public static partial void ErrorClear();

    [LibraryImport(Library, EntryPoint = "vips_version")]
    public static partial int Version(int flag);

    /// <returns>The loader's nickname-bearing class name, or null (with an error) when no loader accepts the bytes.</returns>
    [LibraryImport(Library, EntryPoint = "vips_foreign_find_load_buffer")]
    public static partial byte* FindLoadBuffer(void* data, nuint size);

    /// <returns>A lazily loaded image (header read only), or null on failure.</returns>
    [LibraryImport(Library, EntryPoint = "vips_image_new_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ImageNewFromBuffer(void* data, nuint size, string optionString, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_image_get_width")]
    public static partial int ImageGetWidth(nint image);

    [LibraryImport(Library, EntryPoint = "vips_image_get_height")]
    public static partial int ImageGetHeight(nint image);

    [LibraryImport(Library, EntryPoint = "vips_image_get_bands")]
    public static partial int ImageGetBands(nint image);

    [LibraryImport(Library, EntryPoint = "vips_image_hasalpha")]
    public static partial int ImageHasAlpha(nint image);

    [LibraryImport(Library, EntryPoint = "vips_image_get_typeof", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nuint ImageGetTypeof(nint image, string name);

    [LibraryImport(Library, EntryPoint = "vips_image_get_int", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ImageGetInt(nint image, string name, int* value);

    /// <summary>
    /// Shrink-on-load thumbnail. The options end at the first null name, so passing a null
    /// <paramref name="exportProfileName"/> leaves the export profile unset.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "vips_thumbnail_buffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ThumbnailBuffer(void* data, nuint size, nint* output, int width,
        string heightName, int height, string sizeName, int sizeMode, string cropName, int crop,
        string failOnName, int failOn, string optionStringName, string loaderOptions,
        string? exportProfileName, string? exportProfile, nint terminator);

    /// <summary>Thumbnail of an already opened image (no shrink-on-load); options end at the first null name.</summary>
    [LibraryImport(Library, EntryPoint = "vips_thumbnail_image", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ThumbnailImage(nint input, nint* output, int width,
        string heightName, int height, string sizeName, int sizeMode, string cropName, int crop,
        string? exportProfileName, string? exportProfile, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_flatten", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Flatten(nint input, nint* output, string backgroundName, nint background, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_colourspace")]
    public static partial int Colourspace(nint input, nint* output, int space, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_cast_uchar")]
    public static partial int CastUchar(nint input, nint* output, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_extract_band", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ExtractBand(nint input, nint* output, int band, string countName, int count, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_image_write_to_memory")]
    public static partial void* ImageWriteToMemory(nint image, nuint* size);

    [LibraryImport(Library, EntryPoint = "vips_jpegsave_buffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int JpegSaveBuffer(nint image, void** buffer, nuint* length, string qualityName, int quality, string stripName, int strip, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_array_double_new")]
    public static partial nint ArrayDoubleNew(double* values, int count);

    [LibraryImport(Library, EntryPoint = "vips_area_unref")]
    public static partial void AreaUnref(nint area);

    [LibraryImport(GObject, EntryPoint = "g_object_unref")]
    public static partial void ObjectUnref(nint instance);

    [LibraryImport(GLib, EntryPoint = "g_free")]
    public static partial void Free(void* memory);

    [LibraryImport(Library, EntryPoint = "vips_webpsave_buffer")]
    public static partial int WebpSaveBuffer(nint image, void** buffer, nuint* length, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_heifsave_buffer")]
    public static partial int HeifSaveBuffer(nint image, void** buffer, nuint* length, nint terminator);

    /// <summary>VipsForeignHeifCompression: AV1, i.e. AVIF.</summary>
    public const int HeifCompressionAv1 = 4;

    [LibraryImport(Library, EntryPoint = "vips_heifsave_buffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int HeifSaveBuffer(nint image, void** buffer, nuint* length, string compressionName, int compression, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_tiffsave_buffer")]
    public static partial int TiffSaveBuffer(nint image, void** buffer, nuint* length, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_gifsave_buffer")]
    public static partial int GifSaveBuffer(nint image, void** buffer, nuint* length, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_pngsave_buffer")]
    public static partial int PngSaveBuffer(nint image, void** buffer, nuint* length, nint terminator);

    /// <summary>Transforms to <paramref name="outputProfile"/> (a file or a built-in name: srgb, cmyk, p3) and attaches it.</summary>
    [LibraryImport(Library, EntryPoint = "vips_icc_transform", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int IccTransform(nint input, nint* output, string outputProfile, string inputProfileName, string inputProfile, nint terminator);

    [LibraryImport(Library, EntryPoint = "vips_image_new_from_memory_copy")]
    public static partial nint ImageNewFromMemoryCopy(void* data, nuint size, int width, int height, int bands, int format);
}
