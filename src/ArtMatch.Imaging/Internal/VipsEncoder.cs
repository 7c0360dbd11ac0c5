namespace ArtMatch.Imaging.Internal;

/// <summary>Re-encodes a picture in another format (tests and benchmarks make HEIC/WebP/PNG fixtures with it).</summary>
internal static unsafe class VipsEncoder
{
    public enum Format { Webp, Heif, Avif, Png, Tiff, Gif }

    public static byte[] Reencode(ReadOnlySpan<byte> encoded, Format format)
    {
        VipsRuntime.EnsureStarted();
        fixed (byte* data = encoded)
        {
            var image = Vips.ImageNewFromBuffer(data, (nuint)encoded.Length, "", 0);
            if (image == 0)
                throw new InvalidOperationException("libvips could not read the source image: " + VipsImageDecoder.TakeError());
            using var handle = new VipsImageHandle(image);
            void* buffer;
            nuint length;
            int status = format switch
            {
                Format.Webp => Vips.WebpSaveBuffer(image, &buffer, &length, 0),
                Format.Heif => Vips.HeifSaveBuffer(image, &buffer, &length, 0),
                Format.Avif => Vips.HeifSaveBuffer(image, &buffer, &length, "compression", Vips.HeifCompressionAv1, 0),
                Format.Tiff => Vips.TiffSaveBuffer(image, &buffer, &length, 0),
                Format.Gif => Vips.GifSaveBuffer(image, &buffer, &length, 0),
                _ => Vips.PngSaveBuffer(image, &buffer, &length, 0),
            };
            if (status != 0)
                throw new InvalidOperationException($"libvips could not save {format}: {VipsImageDecoder.TakeError()}");
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

    /// <summary>
    /// Re-encodes as a JPEG whose pixels are in <paramref name="profile"/> (built-in "p3" or "cmyk"),
    /// with that profile embedded, as a phone or a print workflow would save it. Source pixels
    /// without a profile are taken as sRGB.
    /// </summary>
    public static byte[] ReencodeWithProfile(ReadOnlySpan<byte> encoded, string profile)
    {
        VipsRuntime.EnsureStarted();
        fixed (byte* data = encoded)
        {
            var image = Vips.ImageNewFromBuffer(data, (nuint)encoded.Length, "", 0);
            if (image == 0)
                throw new InvalidOperationException("libvips could not read the source image: " + VipsImageDecoder.TakeError());
            using var source = new VipsImageHandle(image);
            nint transformed;
            if (Vips.IccTransform(image, &transformed, profile, "input_profile", "srgb", 0) != 0)
                throw new InvalidOperationException($"libvips could not transform to {profile}: " + VipsImageDecoder.TakeError());
            using var result = new VipsImageHandle(transformed);
            void* buffer;
            nuint length;
            if (Vips.JpegSaveBuffer(transformed, &buffer, &length, "Q", 95, "strip", 0, 0) != 0)
                throw new InvalidOperationException("libvips could not encode JPEG: " + VipsImageDecoder.TakeError());
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

    /// <summary>Encodes pixels as JPEG (benchmark fixtures: large photos made from small ones).</summary>
    public static byte[] EncodeJpeg(ArtMatch.Core.Imaging.RgbImage image, int quality)
    {
        VipsRuntime.EnsureStarted();
        fixed (byte* pixels = image.Pixels)
        {
            var handle = Vips.ImageNewFromMemoryCopy(pixels, (nuint)image.Pixels.Length, image.Width, image.Height, 3, 0);
            if (handle == 0)
                throw new InvalidOperationException("libvips could not wrap the pixels.");
            using var vipsImage = new VipsImageHandle(handle);
            void* buffer;
            nuint length;
            if (Vips.JpegSaveBuffer(handle, &buffer, &length, "Q", quality, "strip", 1, 0) != 0)
                throw new InvalidOperationException("libvips could not encode JPEG: " + VipsImageDecoder.TakeError());
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
}
