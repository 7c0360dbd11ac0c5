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
    /// </summary>
    public GreyImage Shrink(int width, int height)
    {
        if (width > Width || height > Height)
            throw new ArgumentException("Shrink only makes pictures smaller.");
        double sx = (double)Width / width, sy = (double)Height / height;
        var columns = Spans(Width, width, sx);
        var output = new byte[width * height];
        var rowSums = new double[width];
        for (int y = 0; y < height; y++)
        {
            Array.Clear(rowSums);
            double top = y * sy, bottom = (y + 1) * sy;
            for (int iy = (int)top; iy < Math.Min(Height, (int)Math.Ceiling(bottom)); iy++)
            {
                double wy = Math.Min(bottom, iy + 1) - Math.Max(top, iy);
                int row = iy * Width;
                for (int x = 0; x < width; x++)
                {
                    var (first, weights) = columns[x];
                    double sum = 0;
                    for (int k = 0; k < weights.Length; k++)
                        sum += weights[k] * Pixels[row + first + k];
                    rowSums[x] += wy * sum;
                }
            }
            double area = sx * sy;
            for (int x = 0; x < width; x++)
                output[y * width + x] = (byte)Math.Clamp((int)Math.Round(rowSums[x] / area), 0, 255);
        }
        return new GreyImage(width, height, output);
    }

    /// <summary>For each output column: the first input column it covers and how much of each it covers.</summary>
    private static (int First, double[] Weights)[] Spans(int inSize, int outSize, double step)
    {
        var spans = new (int, double[])[outSize];
        for (int o = 0; o < outSize; o++)
        {
            double start = o * step, end = (o + 1) * step;
            int first = (int)start, last = Math.Min(inSize, (int)Math.Ceiling(end));
            var weights = new double[last - first];
            for (int i = first; i < last; i++)
                weights[i - first] = Math.Min(end, i + 1) - Math.Max(start, i);
            spans[o] = (first, weights);
        }
        return spans;
    }
}
