namespace ArtMatch.Imaging;

/// <summary>
/// Limits that keep hostile or absurd files from exhausting the server: a decode budget by format.
/// A format libvips can shrink while it decodes (JPEG by DCT scaling, WebP) costs little even when
/// large; one it must decode at full size (TIFF, PNG, GIF frames, HEIF) costs in proportion to its
/// pixels (a 144 MP deflate TIFF of 800 KB took 16.6 CPU seconds), so those get a lower limit.
/// Cancellation (an expired deadline, a caller gone) stops a decode in progress through libvips'
/// kill flag.
/// </summary>
public sealed record VipsDecoderOptions
{
    /// <summary>Declared width x height above which a picture is refused before any pixel is decoded (decompression bombs), for formats that shrink on load (JPEG, WebP).</summary>
    public long MaxPixels { get; init; } = 150_000_000;

    /// <summary>
    /// The pixel limit for formats decoded at full size before resizing (TIFF, PNG, GIF per frame,
    /// HEIF): 50 MP keeps a 48 MP phone HEIC and a 45 MP camera TIFF; never above <see cref="MaxPixels"/>.
    /// </summary>
    public long MaxPixelsWithoutShrinkOnLoad { get; init; } = 50_000_000;

    /// <summary>Pages or frames a file may declare (an animated GIF, a multi-page TIFF); only the first is decoded.</summary>
    public int MaxFrames { get; init; } = 1000;

    /// <summary>Encoded size above which a file is refused unread.</summary>
    public int MaxEncodedBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>The pixel limit for a format as the decoder names it ("jpeg", "png", "tiff", ...).</summary>
    public long PixelLimitFor(string format) =>
        format is "jpeg" or "webp" ? MaxPixels : Math.Min(MaxPixels, MaxPixelsWithoutShrinkOnLoad);
}
