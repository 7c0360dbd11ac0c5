namespace ArtMatch.Core.Imaging;

/// <summary>A rectangle in pixel coordinates.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
}

/// <summary>Managed crops and resizes on already-decoded pixels (the decoder does the heavy shrink-on-load).</summary>
public static class ImageOps
{
    public static RgbImage Crop(RgbImage source, PixelRect rect)
    {
        if (rect.X < 0 || rect.Y < 0 || rect.Width < 1 || rect.Height < 1 || rect.Right > source.Width || rect.Bottom > source.Height)
            throw new ArgumentOutOfRangeException(nameof(rect), $"{rect} is outside the {source.Width}x{source.Height} image.");
        var pixels = new byte[rect.Width * rect.Height * 3];
        int rowBytes = rect.Width * 3;
        for (int y = 0; y < rect.Height; y++)
        {
            Buffer.BlockCopy(source.Pixels, ((rect.Y + y) * source.Width + rect.X) * 3, pixels, y * rowBytes, rowBytes);
        }
        return new RgbImage(rect.Width, rect.Height, pixels);
    }

    /// <summary>The picture turned clockwise by <paramref name="quarterTurns"/> times 90 degrees (exact: pixels only move).</summary>
    public static RgbImage TurnClockwise(RgbImage source, int quarterTurns)
    {
        int turns = ((quarterTurns % 4) + 4) % 4;
        if (turns == 0)
            return source;
        int w = source.Width, h = source.Height;
        int outWidth = turns == 2 ? w : h, outHeight = turns == 2 ? h : w;
        var pixels = new byte[source.Pixels.Length];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // Where source pixel (x, y) lands after the turn.
                var (tx, ty) = turns switch { 1 => (h - 1 - y, x), 2 => (w - 1 - x, h - 1 - y), _ => (y, w - 1 - x) };
                int from = (y * w + x) * 3, to = (ty * outWidth + tx) * 3;
                pixels[to] = source.Pixels[from];
                pixels[to + 1] = source.Pixels[from + 1];
                pixels[to + 2] = source.Pixels[from + 2];
            }
        }
        return new RgbImage(outWidth, outHeight, pixels);
    }

    /// <summary>
    /// Resizes with an area (box) filter when shrinking and bilinear interpolation when enlarging,
    /// so a shrink never aliases and an enlargement stays smooth.
    /// </summary>
    public static RgbImage Resize(RgbImage source, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == source.Width && height == source.Height)
            return source;
        var horizontal = ResampleWeights.Create(source.Width, width);
        var vertical = ResampleWeights.Create(source.Height, height);

        // Separable: rows first into a float buffer, then columns.
        var temp = new float[source.Height * width * 3];
        var src = source.Pixels;
        for (int y = 0; y < source.Height; y++)
        {
            int rowIn = y * source.Width * 3;
            int rowOut = y * width * 3;
            for (int x = 0; x < width; x++)
            {
                float r = 0, g = 0, b = 0;
                int start = horizontal.Start[x];
                var w = horizontal.WeightsFor(x);
                for (int i = 0; i < w.Length; i++)
                {
                    int p = rowIn + (start + i) * 3;
                    r += src[p] * w[i];
                    g += src[p + 1] * w[i];
                    b += src[p + 2] * w[i];
                }
                temp[rowOut + x * 3] = r;
                temp[rowOut + x * 3 + 1] = g;
                temp[rowOut + x * 3 + 2] = b;
            }
        }

        var result = new byte[width * height * 3];
        int stride = width * 3;
        for (int y = 0; y < height; y++)
        {
            int start = vertical.Start[y];
            var w = vertical.WeightsFor(y);
            int rowOut = y * stride;
            for (int x = 0; x < stride; x++)
            {
                float acc = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    acc += temp[(start + i) * stride + x] * w[i];
                }
                result[rowOut + x] = (byte)Math.Clamp(acc + 0.5f, 0f, 255f);
            }
        }
        return new RgbImage(width, height, result);
    }

    /// <summary>Per output pixel: the first contributing input pixel and the normalised weights.</summary>
    internal sealed class ResampleWeights
    {
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required int Taps { get; init; }
        public required float[] Weights { get; init; }

        public ReadOnlySpan<float> WeightsFor(int output) => Weights.AsSpan(output * Taps, Count[output]);

        public static ResampleWeights Create(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize;
            // Box filter of the source footprint when shrinking; triangle of radius 1 when enlarging.
            double support = scale > 1 ? scale / 2 : 1.0;
            int taps = (int)Math.Ceiling(support * 2) + 2;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new float[outSize * taps];
            for (int o = 0; o < outSize; o++)
            {
                double centre = (o + 0.5) * scale - 0.5;
                int first = Math.Max(0, (int)Math.Floor(centre - support + 0.5));
                int last = Math.Min(inSize - 1, (int)Math.Ceiling(centre + support - 0.5));
                if (last - first + 1 > taps)
                    last = first + taps - 1;
                double total = 0;
                int n = 0;
                for (int i = first; i <= last; i++, n++)
                {
                    double distance = Math.Abs(i - centre);
                    double weight = scale > 1
                        ? Math.Clamp(support + 0.5 - distance, 0, 1) // pixel-area overlap of the box
                        : Math.Max(0, 1 - distance);
                    weights[o * taps + n] = (float)weight;
                    total += weight;
                }
                if (total <= 0)
                {
                    // Degenerate footprint at an edge: take the nearest pixel.
                    first = Math.Clamp((int)Math.Round(centre), 0, inSize - 1);
                    n = 1;
                    weights[o * taps] = 1;
                    total = 1;
                }
                for (int i = 0; i < n; i++)
                    weights[o * taps + i] = (float)(weights[o * taps + i] / total);
                start[o] = first;
                count[o] = n;
            }
            return new ResampleWeights { Start = start, Count = count, Taps = taps, Weights = weights };
        }
    }
}
