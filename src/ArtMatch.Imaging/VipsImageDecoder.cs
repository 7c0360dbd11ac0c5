using ArtMatch.Core.Imaging;
using ArtMatch.Imaging.Internal;
using NetVips;

namespace ArtMatch.Imaging;

/// <summary>
/// Decodes photos with libvips (NetVips): format sniffed from the bytes (JPEG, PNG, WebP, TIFF, GIF,
/// HEIF with AV1 (AVIF) or, through the system's libheif, HEVC (a phone's HEIC); every other loader blocked), size checked from the header before
/// decoding, shrink-on-load to the size asked, EXIF auto-rotation, alpha flattened onto white, sRGB,
/// 8-bit. Truncated files fail rather than decode with grey padding. Thread-safe.
/// </summary>
public sealed class VipsImageDecoder : IImageDecoder
{
    private const string Supported = "JPEG, PNG, WebP, TIFF, GIF, HEIC or AVIF";

    private static readonly double[] White = [255, 255, 255];

    private readonly VipsDecoderOptions _limits;

    public VipsImageDecoder(VipsDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPixels, 1, nameof(options.MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxEncodedBytes, 1, nameof(options.MaxEncodedBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPixelsWithoutShrinkOnLoad, 1, nameof(options.MaxPixelsWithoutShrinkOnLoad));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFrames, 1, nameof(options.MaxFrames));
        LibvipsRuntime.EnsureStarted();
        _limits = options;
    }

    public VipsImageDecoder()
        : this(new VipsDecoderOptions())
    {
    }

    public static string LibvipsVersion => LibvipsRuntime.Version;

    public ImageInfo Probe(ReadOnlySpan<byte> encoded)
    {
        using var source = OpenSource(encoded);
        using var header = OpenHeader(source, encoded, out string format);
        return new ImageInfo(header.Width, header.Height, format, ReadOrientation(header));
    }

    public RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeOptions options) => Decode(encoded, options, CancellationToken.None);

    /// <summary>
    /// Decodes as <see cref="Decode(ReadOnlySpan{byte}, DecodeOptions)"/>; when <paramref name="cancellation"/>
    /// fires, libvips' kill flag stops the decode where it is (between strips or tiles) and the call
    /// throws <see cref="OperationCanceledException"/>. HEVC decoded by libheif cannot be stopped
    /// midway; its lower pixel limit bounds it instead.
    /// </summary>
    public RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeOptions options, CancellationToken cancellation)
    {
        CheckRequest(options);
        cancellation.ThrowIfCancellationRequested();
        // Declared before the images, so disposed after them: the callback may still see one, which
        // it then skips as disposed.
        using var kill = new KillSwitch(cancellation);
        try
        {
            using var source = OpenSource(encoded);
            using var header = kill.Track(OpenHeader(source, encoded, out string format));
            CheckOutputSize(header, options);
            using var thumbnail = kill.Track(Thumbnail(source, header, format, options, encoded));
            cancellation.ThrowIfCancellationRequested();
            using var normalised = kill.Track(Normalise(thumbnail));
            return ToRgb(normalised);
        }
        catch (ImageDecodeException e) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException("The decode was stopped: the call was cancelled or its deadline passed.", e, cancellation);
        }
    }

    /// <summary>A JPEG thumbnail (long side at most <paramref name="longSide"/>, never enlarged) for reports.</summary>
    public byte[] ThumbnailJpeg(ReadOnlySpan<byte> encoded, int longSide, int quality = 80)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(longSide, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var options = DecodeOptions.LongSide(longSide, allowUpscale: false);
        using var source = OpenSource(encoded);
        using var header = OpenHeader(source, encoded, out string format);
        CheckOutputSize(header, options);
        using var thumbnail = Thumbnail(source, header, format, options, encoded);
        using var rgb = Normalise(thumbnail);
        return Run("could not encode a thumbnail", () => rgb.JpegsaveBuffer(q: quality, keep: Enums.ForeignKeep.None));
    }

    private static void CheckRequest(DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Size.Width < 1 || options.Size.Height < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Decode size must be positive, got {options.Size.Width}x{options.Size.Height}.");
    }

    /// <summary>The encoded bytes in libvips' memory (one copy), refused unread when empty or over the byte limit.</summary>
    private Source OpenSource(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length == 0)
            throw new ImageDecodeException(ImageErrorKind.Empty, "The image is empty (0 bytes).");
        if (encoded.Length > _limits.MaxEncodedBytes)
            throw new ImageDecodeException(ImageErrorKind.TooLarge, $"The image file is {Bytes(encoded.Length)}; the limit is {Bytes(_limits.MaxEncodedBytes)}.");
        return Source.NewFromMemory(encoded);
    }

    /// <summary>Sniffs the format and reads the header only; refuses what must not be decoded.</summary>
    private Image OpenHeader(Source source, ReadOnlySpan<byte> encoded, out string format)
    {
        string? loader = Image.FindLoadSource(source);
        if (loader is null)
        {
            string detail = TakeError();
            if (FormatSniffer.ClaimedFormat(encoded) is { } claimed)
                throw new ImageDecodeException(ImageErrorKind.Corrupt,
                    $"The image is damaged or unreadable: it starts like a {claimed} file but libvips cannot open it{(detail.Length > 0 ? ": " + detail : ".")}");
            throw new ImageDecodeException(ImageErrorKind.UnsupportedFormat, $"Not a supported image: expected {Supported}.");
        }
        string family = loader.EndsWith("Source", StringComparison.Ordinal) ? loader[..^"Source".Length] : loader;
        if (!LibvipsRuntime.AllowedLoaders.TryGetValue(family, out format!))
            throw new ImageDecodeException(ImageErrorKind.UnsupportedFormat, $"Not a supported image ({family.Replace("VipsForeignLoad", "").ToLowerInvariant()}): expected {Supported}.");

        // Lazy: reads the header only. fail_on matters once pixels are read (HEIF and TIFF decode from this image).
        var header = Run("could not read the image header", () => Image.NewFromSource(source, failOn: Enums.FailOn.Truncated));
        try
        {
            CheckBudget(header, format);
            if (HeifCodec(format, header) is { } codec && codec != "av1" && !(codec == "hevc" && LibheifDecoder.IsAvailable))
                throw new ImageDecodeException(ImageErrorKind.UnsupportedFormat,
                    $"Not a supported image (HEIF coded with {codec.ToUpperInvariant()}; this server decodes HEIF coded with AV1 (AVIF){(codec == "hevc" ? " and, with the system's libheif1, HEVC" : "")}): expected {Supported}. Send the photo as JPEG.");
            return header;
        }
        catch
        {
            header.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The decode budget by format: pixels (per frame) under the format's limit, lower for formats
    /// decoded at full size (<see cref="VipsDecoderOptions.PixelLimitFor"/>), and at most
    /// <see cref="VipsDecoderOptions.MaxFrames"/> pages or frames.
    /// </summary>
    private void CheckBudget(Image header, string format)
    {
        long pixels = (long)header.Width * header.Height;
        long limit = _limits.PixelLimitFor(format);
        if (pixels > limit)
        {
            string why = limit < _limits.MaxPixels ? $" for {format.ToUpperInvariant()}, which is decoded at full size; send a JPEG for larger pictures" : "";
            throw new ImageDecodeException(ImageErrorKind.TooLarge,
                $"The image declares {header.Width}x{header.Height} pixels ({Megapixels(pixels)}); the limit is {Megapixels(limit)}{why}.");
        }
        if (header.Contains("n-pages") && header.Get("n-pages") is int pages && pages > _limits.MaxFrames)
            throw new ImageDecodeException(ImageErrorKind.TooLarge,
                $"The image declares {pages} pages or frames; the limit is {_limits.MaxFrames} (only the first is used).");
    }

    /// <summary>
    /// Refuses a request whose result alone would exceed the pixel limit (e.g. a 100000-pixel long side
    /// with upscaling on), before libvips allocates it.
    /// </summary>
    private void CheckOutputSize(Image header, DecodeOptions request)
    {
        var (width, height) = PlannedSize(header.Width, header.Height, ReadOrientation(header), request);
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
    private Image Thumbnail(Source source, Image header, string format, DecodeOptions options, ReadOnlySpan<byte> encoded)
    {
        bool cover = options.Fit == ResizeFit.CoverCentreCrop;
        var size = cover || options.AllowUpscale ? Enums.Size.Both : Enums.Size.Down;
        var crop = cover ? Enums.Interesting.Centre : Enums.Interesting.None;
        if (HeifCodec(format, header) == "hevc")
        {
            // The bundled libvips has no HEVC decoder: libheif decodes the primary picture (upright by
            // its own irot/imir), libvips does the rest from those pixels.
            using var decoded = LibheifDecoder.DecodePrimary(encoded, _limits.PixelLimitFor("heif"));
            string? profile = decoded.Contains("icc-profile-data") ? "srgb" : null;
            return Run("could not resize the image", () => decoded.ThumbnailImage(options.Size.Width, height: options.Size.Height,
                size: size, crop: crop, outputProfile: profile, noRotate: true));
        }
        string? exportProfile = header.Contains("icc-profile-data") ? "srgb" : null;
        if (format is "heif" or "tiff")
        {
            // The header image is the primary picture (HEIF primary item, TIFF page 0), opened lazily
            // with fail_on set; its pixels are decoded here, so the container is parsed once.
            return Run("could not decode the image", () => header.ThumbnailImage(options.Size.Width, height: options.Size.Height,
                size: size, crop: crop, outputProfile: exportProfile, failOn: Enums.FailOn.Truncated));
        }
        int shrink = format == "jpeg" ? JpegShrink(header.Width, header.Height, ReadOrientation(header), options) : 1;
        if (shrink > 1)
        {
            // libvips' thumbnail decodes a JPEG at twice the shrink the size allows (a margin for its
            // antialiasing), four times the pixels; the full shrink then a Lanczos resize costs half
            // as much, and is what sharp does by default.
            using var shrunk = Run("could not decode the image", () => Image.JpegloadSource(source, shrink: shrink, failOn: Enums.FailOn.Truncated));
            if (exportProfile is null && ReadOrientation(shrunk) == 1)
                return Run("could not decode the image", () => ResizeAndCrop(shrunk, options));
            return Run("could not decode the image", () => shrunk.ThumbnailImage(options.Size.Width, height: options.Size.Height,
                size: size, crop: crop, outputProfile: exportProfile, failOn: Enums.FailOn.Truncated));
        }
        return Run("could not decode the image", () => Image.ThumbnailSource(source, options.Size.Width, optionString: "fail_on=truncated",
            height: options.Size.Height, size: size, crop: crop, outputProfile: exportProfile, failOn: Enums.FailOn.Truncated));
    }

    /// <summary>
    /// What thumbnail does for an upright sRGB picture already shrunk on load, without its general
    /// machinery: one Lanczos resize to the size asked (cover: the smaller side fills it) and, for
    /// cover, the centre cut. sharp's path for the same request.
    /// </summary>
    private static Image ResizeAndCrop(Image shrunk, DecodeOptions options)
    {
        bool cover = options.Fit == ResizeFit.CoverCentreCrop;
        double across = (double)options.Size.Width / shrunk.Width, down = (double)options.Size.Height / shrunk.Height;
        double scale = cover ? Math.Max(across, down) : Math.Min(across, down);
        var resized = scale < 1 ? shrunk.Resize(scale, kernel: Enums.Kernel.Lanczos3) : shrunk.Copy();
        if (!cover || (resized.Width == options.Size.Width && resized.Height == options.Size.Height))
            return resized;
        int width = Math.Min(options.Size.Width, resized.Width), height = Math.Min(options.Size.Height, resized.Height);
        using (resized)
            return resized.ExtractArea((resized.Width - width) / 2, (resized.Height - height) / 2, width, height);
    }

    /// <summary>The codec of a HEIF picture ("av1", "hevc", ...) as its header declares it; null for other formats.</summary>
    private static string? HeifCodec(string format, Image header) =>
        format == "heif" && header.Contains("heif-compression") && header.Get("heif-compression") is string codec ? codec : null;

    /// <summary>The largest JPEG decode shrink (1, 2, 4 or 8) that leaves the picture at least the size asked.</summary>
    internal static int JpegShrink(int storedWidth, int storedHeight, int orientation, DecodeOptions request)
    {
        var (width, height) = orientation is >= 5 and <= 8 ? (storedHeight, storedWidth) : (storedWidth, storedHeight);
        double across = (double)width / request.Size.Width, down = (double)height / request.Size.Height;
        // Inside: the larger reduction makes both sides fit; cover: the smaller keeps both sides covering.
        double factor = request.Fit == ResizeFit.CoverCentreCrop ? Math.Min(across, down) : Math.Max(across, down);
        int shrink = 1;
        while (shrink < 8 && factor >= shrink * 2)
            shrink *= 2;
        return shrink;
    }

    private static int ReadOrientation(Image header)
    {
        if (!header.Contains("orientation"))
            return 1;
        try
        {
            return header.Get("orientation") is int orientation and >= 1 and <= 8 ? orientation : 1;
        }
        catch (VipsException)
        {
            return 1;
        }
    }

    /// <summary>sRGB, alpha flattened onto white, 8-bit, exactly three bands (or one, for grey).</summary>
    private static Image Normalise(Image image) => Run("could not convert the image to sRGB 8-bit", () =>
    {
        var current = image.Colourspace(Enums.Interpretation.Srgb);
        if (current.HasAlpha())
            current = Replace(current, current.Flatten(background: White));
        current = Replace(current, current.Cast(Enums.BandFormat.Uchar));
        if (current.Bands > 3)
            current = Replace(current, current.ExtractBand(0, n: 3));
        return current;
    });

    private static Image Replace(Image old, Image next)
    {
        old.Dispose();
        return next;
    }

    /// <summary>Computes the pixels (a corrupt or truncated body fails here) straight into the returned picture.</summary>
    private static unsafe RgbImage ToRgb(Image image)
    {
        int width = image.Width, height = image.Height, bands = image.Bands;
        ulong size = 0;
        var memory = Run("could not decode the image", () => image.WriteToMemory(out size));
        if (size != (ulong)width * (ulong)height * (ulong)bands)
        {
            NetVips.NetVips.Free(memory);
            throw new InvalidOperationException($"libvips returned {size} bytes for {width}x{height}x{bands} pixels.");
        }
        try
        {
            var source = new ReadOnlySpan<byte>((void*)memory, width * height * bands);
            var pixels = new byte[width * height * 3];
            if (bands == 3)
                source.CopyTo(pixels);
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
            NetVips.NetVips.Free(memory);
        }
    }

    /// <summary>Runs a libvips call; its failure becomes a <see cref="ImageDecodeException"/> carrying libvips' message.</summary>
    private static T Run<T>(string what, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (VipsException e)
        {
            string detail = Detail(e.Message);
            throw new ImageDecodeException(ImageErrorKind.Corrupt,
                detail.Length > 0 ? $"The image is damaged or unreadable: {what}: {detail}" : $"The image is damaged or unreadable: {what}.", e);
        }
    }

    /// <summary>NetVips' message is its own first line ("unable to call thumbnail_source"), then libvips' error buffer: the part that helps.</summary>
    internal static string Detail(string message)
    {
        int newline = message.IndexOf('\n');
        var buffer = newline < 0 ? message : message[(newline + 1)..];
        return string.Join(' ', buffer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct());
    }

    /// <summary>libvips' error text after a call that reports failure by its result rather than by throwing (find_load).</summary>
    private static string TakeError() => Detail(new VipsException("").Message);

    private static string Bytes(long count) =>
        count >= 1 << 20 ? $"{count / 1048576.0:0.#} MB" : count >= 1 << 10 ? $"{count / 1024.0:0.#} KB" : $"{count} bytes";

    private static string Megapixels(long pixels) => pixels >= 100_000 ? $"{pixels / 1e6:0.#} MP" : $"{pixels} pixels";
}
