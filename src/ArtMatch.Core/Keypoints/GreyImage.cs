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
