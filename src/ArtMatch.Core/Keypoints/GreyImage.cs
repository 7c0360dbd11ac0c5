using System.Runtime.Intrinsics;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Keypoints;

/// <summary>One 8-bit luminance plane, row-major, no padding: what corner detection and binary descriptors read.</summary>
public sealed class GreyImage
{
    public GreyImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != checked(width * height))
            throw new ArgumentException($"Expected {width * height} bytes for {width}x{height} grey, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public byte this[int x, int y] => Pixels[y * Width + x];

    /// <summary>Rec. 601 luma in integer arithmetic (colour is ignored: keypoints must survive greyscale and white-balance changes).</summary>
    public static GreyImage FromRgb(RgbImage image)
    {
        var grey = new byte[image.Width * image.Height];
        var rgb = image.Pixels;
        for (int i = 0, j = 0; i < grey.Length; i++, j += 3)
            grey[i] = (byte)((77 * rgb[j] + 150 * rgb[j + 1] + 29 * rgb[j + 2] + 128) >> 8);
        return new GreyImage(image.Width, image.Height, grey);
    }

    /// <summary>
    /// A smaller copy by area averaging (each output pixel is the mean of the input area it covers),
    /// so that a pyramid level holds what a camera farther away would have recorded, without aliasing.
    /// The same separable box filter as <see cref="ImageOps.Resize"/>, on one channel.
    /// </summary>
    public GreyImage Shrink(int width, int height)
    {
        if (width > Width || height > Height)
            throw new ArgumentException("Shrink only makes pictures smaller.");
        var horizontal = ImageOps.ResampleWeights.Create(Width, width);
        var vertical = ImageOps.ResampleWeights.Create(Height, height);
        // Rented: the first level's rows are about a megabyte (a large-object allocation per level per photo); every entry is written before it is read.
        var rows = System.Buffers.ArrayPool<float>.Shared.Rent(Height * width);
        var output = new byte[width * height];
        try
        {
            ShrinkRows(Pixels, Width, Height, horizontal, rows, width);
            ShrinkColumns(rows, vertical, output, width, height);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rows);
        }
        return new GreyImage(width, height, output);
    }

    /// <summary>Each row filtered and shrunk to <paramref name="width"/> (pointers: this runs over every pixel of every pyramid level).</summary>
    /// <remarks><see cref="ShrinkReference"/> is the plain loop; this adds each tap in the same order, so the sums are the same to the bit.</remarks>
    private static unsafe void ShrinkRows(byte[] pixels, int inWidth, int inHeight, ImageOps.ResampleWeights horizontal, float[] rows, int width)
    {
        fixed (byte* source = pixels)
        fixed (float* target = rows, weights = horizontal.Weights)
        fixed (int* start = horizontal.Start, count = horizontal.Count)
        {
            int taps = horizontal.Taps;
            for (int y = 0; y < inHeight; y++)
            {
                byte* row = source + (long)y * inWidth;
                float* result = target + (long)y * width;
                for (int x = 0; x < width; x++)
                {
                    byte* first = row + start[x];
                    float* w = weights + x * taps;
                    float sum = 0;
                    for (int i = 0, n = count[x]; i < n; i++)
                        sum += first[i] * w[i];
                    result[x] = sum;
                }
            }
        }
    }

    /// <summary>
    /// Columns filtered and shrunk to <paramref name="height"/>, a whole output row at a time: each
    /// output pixel's taps are added in the scalar order, eight pixels per vector, so the sums are the
    /// same to the bit.
    /// </summary>
    private static unsafe void ShrinkColumns(float[] rows, ImageOps.ResampleWeights vertical, byte[] output, int width, int height)
    {
        var sums = new float[width];
        int wide = Vector256.IsHardwareAccelerated ? width - width % Vector256<float>.Count : 0;
        fixed (float* source = rows, sum = sums)
        {
            for (int y = 0; y < height; y++)
            {
                var w = vertical.WeightsFor(y);
                float* first = source + (long)vertical.Start[y] * width;
                for (int x = 0; x < wide; x += Vector256<float>.Count)
                {
                    var acc = Vector256<float>.Zero;
                    for (int i = 0; i < w.Length; i++)
                        acc += Vector256.Load(first + (long)i * width + x) * w[i];
                    acc.Store(sum + x);
                }
                for (int x = wide; x < width; x++)
                {
                    float s = 0;
                    for (int i = 0; i < w.Length; i++)
                        s += first[(long)i * width + x] * w[i];
                    sum[x] = s;
                }
                int at = y * width;
                for (int x = 0; x < width; x++)
                    output[at + x] = (byte)Math.Clamp(sum[x] + 0.5f, 0f, 255f);
            }
        }
    }

    /// <summary>The plain loops <see cref="Shrink"/> must agree with to the bit (tests).</summary>
    internal GreyImage ShrinkReference(int width, int height)
    {
        var horizontal = ImageOps.ResampleWeights.Create(Width, width);
        var vertical = ImageOps.ResampleWeights.Create(Height, height);
        var rows = new float[Height * width];
        for (int y = 0; y < Height; y++)
        {
            int rowIn = y * Width;
            for (int x = 0; x < width; x++)
            {
                var w = horizontal.WeightsFor(x);
                int first = rowIn + horizontal.Start[x];
                float sum = 0;
                for (int i = 0; i < w.Length; i++)
                    sum += Pixels[first + i] * w[i];
                rows[y * width + x] = sum;
            }
        }
        var output = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            var w = vertical.WeightsFor(y);
            int first = vertical.Start[y];
            for (int x = 0; x < width; x++)
            {
                float sum = 0;
                for (int i = 0; i < w.Length; i++)
                    sum += rows[(first + i) * width + x] * w[i];
                output[y * width + x] = (byte)Math.Clamp(sum + 0.5f, 0f, 255f);
            }
        }
        return new GreyImage(width, height, output);
    }

    /// <summary>The pixels of <paramref name="rect"/> (which must lie inside the picture) as a picture of their own.</summary>
    public GreyImage Crop(PixelRect rect)
    {
        if (rect.X < 0 || rect.Y < 0 || rect.Width < 1 || rect.Height < 1 || rect.Right > Width || rect.Bottom > Height)
            throw new ArgumentOutOfRangeException(nameof(rect), $"{rect} does not lie inside a {Width}x{Height} picture.");
        var pixels = new byte[rect.Width * rect.Height];
        for (int y = 0; y < rect.Height; y++)
            Array.Copy(Pixels, (rect.Y + y) * Width + rect.X, pixels, y * rect.Width, rect.Width);
        return new GreyImage(rect.Width, rect.Height, pixels);
    }
}
