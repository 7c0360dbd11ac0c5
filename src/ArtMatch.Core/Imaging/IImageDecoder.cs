namespace ArtMatch.Core.Imaging;

/// <summary>How a decoded picture is sized. The decoder shrinks on load where the format allows.</summary>
public enum ResizeFit
{
    /// <summary>Whole picture, aspect kept, long side = <see cref="ImageSize.Width"/> (or smaller when upscaling is off).</summary>
    Inside,

    /// <summary>Exactly Width x Height: scaled to cover, then centre-cropped.</summary>
    CoverCentreCrop,
}

public readonly record struct ImageSize(int Width, int Height);

/// <summary>What the caller wants out of an encoded picture.</summary>
public sealed record DecodeOptions(ImageSize Size, ResizeFit Fit = ResizeFit.Inside, bool AllowUpscale = true)
{
    public static DecodeOptions LongSide(int pixels, bool allowUpscale = true) =>
        new(new ImageSize(pixels, pixels), ResizeFit.Inside, allowUpscale);
}

/// <summary>Facts read from a header without decoding pixels.</summary>
public sealed record ImageInfo(int Width, int Height, string Format, int Orientation);

/// <summary>
/// Turns encoded bytes (JPEG, PNG, WebP, TIFF, GIF, AVIF) into upright sRGB pixels.
/// Implementations are thread-safe and throw <see cref="ImageDecodeException"/> for anything
/// they cannot or will not decode.
/// </summary>
public interface IImageDecoder
{
    ImageInfo Probe(ReadOnlySpan<byte> encoded);

    RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeOptions options);

    /// <summary>
    /// <see cref="Decode(ReadOnlySpan{byte}, DecodeOptions)"/> that stops when <paramref name="cancellation"/>
    /// fires (an expired deadline, a caller gone) with <see cref="OperationCanceledException"/>.
    /// Decoders that can stop mid-decode (libvips' kill flag) override this; the default checks before and after.
    /// </summary>
    RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeOptions options, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var image = Decode(encoded, options);
        cancellation.ThrowIfCancellationRequested();
        return image;
    }
}

public enum ImageErrorKind
{
    Empty,
    UnsupportedFormat,
    Corrupt,
    TooLarge,
}

/// <summary>An encoded picture that cannot be used; the message says why in words a person can act on.</summary>
public sealed class ImageDecodeException(ImageErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ImageErrorKind Kind { get; } = kind;
}
