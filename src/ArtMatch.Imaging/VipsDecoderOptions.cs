namespace ArtMatch.Imaging;

/// <summary>
/// Limits that keep hostile or absurd files from exhausting the server. The place for per-format
/// decode budgets and cancellation when they come (libvips' progress callback and kill flag).
/// </summary>
public sealed record VipsDecoderOptions
{
    /// <summary>Declared width x height above which a picture is refused before any pixel is decoded (decompression bombs).</summary>
    public long MaxPixels { get; init; } = 150_000_000;

    /// <summary>Encoded size above which a file is refused unread.</summary>
    public int MaxEncodedBytes { get; init; } = 64 * 1024 * 1024;
}
