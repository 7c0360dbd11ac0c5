using System.Runtime.InteropServices;
using ArtMatch.Core.Imaging;
using ArtMatch.Imaging.Internal;

namespace ArtMatch.Imaging;

/// <summary>
/// Decodes photos with libvips: format sniffed from the bytes (JPEG, PNG, WebP, TIFF, GIF, HEIC/AVIF
/// only; libvips' untrusted loaders are blocked), size checked from the header before decoding,
/// shrink-on-load to the size asked, EXIF auto-rotation, alpha flattened onto white, sRGB, 8-bit.
/// Truncated files fail rather than decode with grey padding. Thread-safe.
/// </summary>
public sealed unsafe class VipsImageDecoder : IImageDecoder
{
    private readonly VipsDecoderOptions _limits;

    public VipsImageDecoder(VipsDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPixels, 1, nameof(options.MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxEncodedBytes, 1, nameof(options.MaxEncodedBytes));
        VipsRuntime.EnsureStarted();
        _limits = options;
    }

    private static readonly Dictionary<string, string> AllowedLoaders = new(StringComparer.Ordinal)
    {
        ["VipsForeignLoadJpegBuffer"] = "jpeg",
        ["VipsForeignLoadPngBuffer"] = "png",
        ["VipsForeignLoadSpngBuffer"] = "png",
        ["VipsForeignLoadWebpBuffer"] = "webp",
        ["VipsForeignLoadTiffBuffer"] = "tiff",
        ["VipsForeignLoadGifBuffer"] = "gif",
        ["VipsForeignLoadNsgifBuffer"] = "gif",
        ["VipsForeignLoadHeifBuffer"] = "heif",
    };

    /// <summary>Loader options for every open: a truncated file is an error, not grey padding.</summary>
    private const string LoaderOptions = "fail_on=truncated";

    private const string Supported = "JPEG, PNG, WebP, TIFF, GIF or HEIC";

    public VipsImageDecoder()
        : this(new VipsDecoderOptions())
    {
    }

    public static string LibvipsVersion => $"{Vips.Version(0)}.{Vips.Version(1)}.{Vips.Version(2)}";

    public ImageInfo Probe(ReadOnlySpan<byte> encoded)
    {
        fixed (byte* data = encoded)
        {
            using var header = OpenHeader(data, encoded.Length, out string format);
            return new ImageInfo(Vips.ImageGetWidth(header.Pointer), Vips.ImageGetHeight(header.Pointer), format, ReadOrientation(header.Pointer));
        }
    }

    public RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Size.Width < 1 || options.Size.Height < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Decode size must be positive, got {options.Size.Width}x{options.Size.Height}.");
        fixed (byte* data = encoded)
        {
            using var header = OpenHeader(data, encoded.Length, out string format);
            CheckOutputSize(header.Pointer, options);
            using var image = Thumbnail(data, encoded.Length, header.Pointer, format, options);
            return ToRgb(image);
        }
    }

    /// <summary>A JPEG thumbnail (long side at most <paramref name="longSide"/>, never enlarged) for reports.</summary>
    public byte[] ThumbnailJpeg(ReadOnlySpan<byte> encoded, int longSide, int quality = 80)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(longSide, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var options = DecodeOptions.LongSide(longSide, allowUpscale: false);
        fixed (byte* data = encoded)
        {
            using var header = OpenHeader(data, encoded.Length, out string format);
            CheckOutputSize(header.Pointer, options);
            using var thumbnail = Thumbnail(data, encoded.Length, header.Pointer, format, options);
            using var rgb = Normalise(thumbnail);
            void* buffer;
            nuint length;
            if (Vips.JpegSaveBuffer(rgb.Pointer, &buffer, &length, "Q", quality, "strip", 1, 0) != 0)
                throw Failure("could not encode a thumbnail");
            try
            {
                return new ReadOnlySpan<byte>(buffer, checked((int)length)).ToArray();
            }
            finally
            {
                Vips.Free(buffer);
            }
        }
    }

    /// <summary>Sniffs the format and reads the header only; refuses what must not be decoded.</summary>
    private VipsImageHandle OpenHeader(byte* data, int length, out string format)
    {
        if (length == 0)
            throw new ImageDecodeException(ImageErrorKind.Empty, "The image is empty (0 bytes).");
        if (length > _limits.MaxEncodedBytes)
            throw new ImageDecodeException(ImageErrorKind.TooLarge, $"The image file is {Bytes(length)}; the limit is {Bytes(_limits.MaxEncodedBytes)}.");
        // No vips_error_clear here: the buffer is shared by all threads, and clearing it could wipe
        // another decode's message between its failure and its TakeError.
        var loader = Vips.FindLoadBuffer(data, (nuint)length);
        if (loader == null)
        {
            string detail = TakeError();
            if (FormatSniffer.ClaimedFormat(new ReadOnlySpan<byte>(data, length)) is { } claimed)
                throw new ImageDecodeException(ImageErrorKind.Corrupt,
                    $"The image is damaged or unreadable: it starts like a {claimed} file but libvips cannot open it{(detail.Length > 0 ? ": " + detail : ".")}");
            throw new ImageDecodeException(ImageErrorKind.UnsupportedFormat, $"Not a supported image: expected {Supported}.");
        }
        string loaderName = Marshal.PtrToStringUTF8((nint)loader) ?? "";
        if (!AllowedLoaders.TryGetValue(loaderName, out format!))
            throw new ImageDecodeException(ImageErrorKind.UnsupportedFormat, $"Not a supported image ({loaderName.Replace("VipsForeignLoad", "").Replace("Buffer", "").ToLowerInvariant()}): expected {Supported}.");

        // Lazy: reads the header only. fail_on matters once pixels are read (HEIF decodes from this image).
        var image = Vips.ImageNewFromBuffer(data, (nuint)length, LoaderOptions, 0);
        if (image == 0)
            throw Failure("could not read the image header");
        var handle = new VipsImageHandle(image);
        int width = Vips.ImageGetWidth(image), height = Vips.ImageGetHeight(image);
        long pixels = (long)width * height;
        if (pixels > _limits.MaxPixels)
        {
            handle.Dispose();
            throw new ImageDecodeException(ImageErrorKind.TooLarge,
                $"The image declares {width}x{height} pixels ({Megapixels(pixels)}); the limit is {Megapixels(_limits.MaxPixels)}.");
        }
        return handle;
    }

    /// <summary>
    /// Refuses a request whose result alone would exceed the pixel limit (e.g. a 100000-pixel long side
    /// with upscaling on), before libvips allocates it.
    /// </summary>
    private void CheckOutputSize(nint header, DecodeOptions request)
    {
        var (width, height) = PlannedSize(Vips.ImageGetWidth(header), Vips.ImageGetHeight(header), ReadOrientation(header), request);
        if ((long)width * height > _limits.MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(request),
                $"Decoding to {width}x{height} would make {Megapixels((long)width * height)}; the limit is {Megapixels(_limits.MaxPixels)}. Ask for a smaller size.");
    }

    /// <summary>The size libvips' thumbnail will produce for a stored width x height (give or take rounding).</summary>
    internal static (int Width, int Height) PlannedSize(int storedWidth, int storedHeight, int orientation, DecodeOptions request)
    {
        if (request.Fit == ResizeFit.CoverCentreCrop)
            return (request.Size.Width, request.Size.Height);
        // EXIF orientations 5-8 turn the picture a quarter: the upright size is the stored one swapped.
        var (width, height) = orientation is >= 5 and <= 8 ? (storedHeight, storedWidth) : (storedWidth, storedHeight);
        double scale = Math.Min((double)request.Size.Width / width, (double)request.Size.Height / height);
        if (!request.AllowUpscale)
            scale = Math.Min(scale, 1);
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>
    /// Shrinks on load where the format allows (JPEG, WebP), rotates upright by EXIF, and converts an
    /// embedded ICC profile (Display P3 from phones, Adobe RGB, CMYK) to sRGB; without a profile the
    /// pixels are taken as sRGB already.
    /// HEIF and TIFF are kept from thumbnail's other shortcut: it would decode a HEIF's embedded
    /// preview, or a smaller TIFF page or sub-image it takes for a pyramid level, instead of the main
    /// picture, and those can show something else (a stale preview of an edited photo, an unrelated
    /// page). A match must rest on the picture itself, so these decode their primary image.
    /// </summary>
    private static VipsImageHandle Thumbnail(byte* data, int length, nint header, string format, DecodeOptions options)
    {
        bool cover = options.Fit == ResizeFit.CoverCentreCrop;
        int sizeMode = cover || options.AllowUpscale ? Vips.SizeBoth : Vips.SizeDown;
        int crop = cover ? Vips.InterestingCentre : Vips.InterestingNone;
        // A null option name ends libvips' option list, leaving the export profile unset.
        string? profileName = Vips.ImageGetTypeof(header, Vips.IccProfileField) != 0 ? "export_profile" : null;
        nint output;
        int status;
        if (format is "heif" or "tiff")
        {
            // The header image is the primary picture (HEIF primary item, TIFF page 0), opened lazily
            // with fail_on set; its pixels are decoded here, so the container is parsed once.
            status = Vips.ThumbnailImage(header, &output, options.Size.Width, "height", options.Size.Height,
                "size", sizeMode, "crop", crop, profileName, "srgb", 0);
        }
        else
        {
            // fail_on is given twice: as thumbnail's own argument and in the loader's option string,
            // since which of the two reaches the loader has changed between libvips releases.
            status = Vips.ThumbnailBuffer(data, (nuint)length, &output, options.Size.Width, "height", options.Size.Height,
                "size", sizeMode, "crop", crop, "fail_on", Vips.FailOnTruncated, "option_string", LoaderOptions,
                profileName, "srgb", 0);
        }
        if (status != 0)
            throw Failure("could not decode the image");
        return new VipsImageHandle(output);
    }

    private static int ReadOrientation(nint header)
    {
        int orientation = 1;
        if (Vips.ImageGetTypeof(header, "orientation") != 0 && Vips.ImageGetInt(header, "orientation", &orientation) != 0)
        {
            TakeError();
            orientation = 1;
        }
        return orientation is >= 1 and <= 8 ? orientation : 1;
    }

    /// <summary>sRGB, alpha flattened onto white, 8-bit, exactly three bands.</summary>
    private static VipsImageHandle Normalise(VipsImageHandle image)
    {
        nint srgb;
        if (Vips.Colourspace(image.Pointer, &srgb, Vips.InterpretationSrgb, 0) != 0)
            throw Failure("could not convert the image to sRGB");
        var current = new VipsImageHandle(srgb);
        try
        {
            if (Vips.ImageHasAlpha(current.Pointer) != 0)
            {
                double* white = stackalloc double[] { 255, 255, 255 };
                var background = Vips.ArrayDoubleNew(white, 3);
                nint flat;
                int status = Vips.Flatten(current.Pointer, &flat, "background", background, 0);
                Vips.AreaUnref(background);
                if (status != 0)
                    throw Failure("could not flatten the image's transparency");
                current.Dispose();
                current = new VipsImageHandle(flat);
            }
            nint uchar;
            if (Vips.CastUchar(current.Pointer, &uchar, 0) != 0)
                throw Failure("could not convert the image to 8 bits");
            current.Dispose();
            current = new VipsImageHandle(uchar);
            if (Vips.ImageGetBands(current.Pointer) > 3)
            {
                nint three;
                if (Vips.ExtractBand(current.Pointer, &three, 0, "n", 3, 0) != 0)
                    throw Failure("could not extract the colour bands");
                current.Dispose();
                current = new VipsImageHandle(three);
            }
            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    private static RgbImage ToRgb(VipsImageHandle thumbnail)
    {
        using var image = Normalise(thumbnail);
        int width = Vips.ImageGetWidth(image.Pointer), height = Vips.ImageGetHeight(image.Pointer), bands = Vips.ImageGetBands(image.Pointer);
        nuint size;
        // Pixels are computed here: a corrupt or truncated body fails at this point.
        var memory = Vips.ImageWriteToMemory(image.Pointer, &size);
        if (memory == null)
            throw Failure("could not decode the image");
        try
        {
            var source = new ReadOnlySpan<byte>(memory, checked((int)size));
            var pixels = new byte[width * height * 3];
            if (bands == 3)
                source[..pixels.Length].CopyTo(pixels);
            else
            {
                // Grey that colourspace left single-band: replicate to RGB.
                for (int i = 0; i < width * height; i++)
                    pixels[3 * i] = pixels[3 * i + 1] = pixels[3 * i + 2] = source[i * bands];
            }
            return new RgbImage(width, height, pixels);
        }
        finally
        {
            Vips.Free(memory);
        }
    }

    private static ImageDecodeException Failure(string what)
    {
        string detail = TakeError();
        return new ImageDecodeException(ImageErrorKind.Corrupt,
            detail.Length > 0 ? $"The image is damaged or unreadable: {what}: {detail}" : $"The image is damaged or unreadable: {what}.");
    }

    private static string Bytes(long count) =>
        count >= 1 << 20 ? $"{count / 1048576.0:0.#} MB" : count >= 1 << 10 ? $"{count / 1024.0:0.#} KB" : $"{count} bytes";

    private static string Megapixels(long pixels) => pixels >= 100_000 ? $"{pixels / 1e6:0.#} MP" : $"{pixels} pixels";

    /// <summary>
    /// libvips' error text, copied and cleared in one step under libvips' lock. The buffer is shared by
    /// all threads, so under concurrent failures a message may carry another decode's text too (or lose
    /// its own to it); the exception's kind never depends on it.
    /// </summary>
    internal static string TakeError()
    {
        var copy = Vips.ErrorBufferCopy();
        if (copy == null)
            return "";
        try
        {
            return (Marshal.PtrToStringUTF8((nint)copy) ?? "").Trim().Replace('\n', ' ');
        }
        finally
        {
            Vips.Free(copy);
        }
    }
}
