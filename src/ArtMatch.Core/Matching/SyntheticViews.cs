using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching;

/// <summary>
/// Makes plausible "photos" of a catalogue picture for calibration: crops, tilts in brightness
/// and contrast, loss of detail, the picture pasted small into another picture (an object on
/// a market stall), and a small close-up of one part (a detail cut from a larger photo). Seeded,
/// so calibration is reproducible.
/// </summary>
public static class SyntheticViews
{
    /// <summary>One random view; <paramref name="pasted"/> says whether the background (another picture) is in it.</summary>
    public static RgbImage Make(RgbImage source, RgbImage? background, Random random, out bool pasted)
    {
        int kind = random.Next(5);
        pasted = kind == 2 && background is not null;
        return kind switch
        {
            0 => RandomCrop(source, random, 0.45, 0.9),
            1 => Degrade(source, random),
            2 when background is not null => PasteInto(source, background, random),
            3 => CloseUp(source, random),
            _ => Photometric(RandomCrop(source, random, 0.7, 1.0), random),
        };
    }

    public static RgbImage RandomCrop(RgbImage source, Random random, double minArea, double maxArea)
    {
        double area = minArea + random.NextDouble() * (maxArea - minArea);
        double aspect = Math.Exp((random.NextDouble() - 0.5) * 0.6);
        int width = Math.Clamp((int)(source.Width * Math.Sqrt(area * aspect)), 16, source.Width);
        int height = Math.Clamp((int)(source.Height * Math.Sqrt(area / aspect)), 16, source.Height);
        int x = random.Next(source.Width - width + 1), y = random.Next(source.Height - height + 1);
        return ImageOps.Crop(source, new PixelRect(x, y, width, height));
    }

    /// <summary>
    /// A square of 64-128 pixels cut at the picture's own scale, slightly retoned: a detail shown on
    /// its own (a close-up in a sale catalogue, a fragment), too small for the CNN's 32-pixel cells.
    /// </summary>
    public static RgbImage CloseUp(RgbImage source, Random random)
    {
        int side = Math.Min(64 + random.Next(65), Math.Min(source.Width, source.Height));
        var square = ImageOps.Crop(source, new PixelRect(random.Next(source.Width - side + 1), random.Next(source.Height - side + 1), side, side));
        return Photometric(square, random, maxShift: 0.2);
    }

    /// <summary>Down to a small size and back up: the blur of a poor phone photo or a web thumbnail.</summary>
    public static RgbImage Degrade(RgbImage source, Random random)
    {
        double factor = 0.15 + random.NextDouble() * 0.35;
        var small = ImageOps.Resize(source, Math.Max(16, (int)(source.Width * factor)), Math.Max(16, (int)(source.Height * factor)));
        return ImageOps.Resize(small, source.Width, source.Height);
    }

    /// <summary>Gain and offset of brightness (gain within 1 ± <paramref name="maxShift"/>); one in four greyscale.</summary>
    public static RgbImage Photometric(RgbImage source, Random random, double maxShift = 0.4)
    {
        double gain = 1 - maxShift + random.NextDouble() * 2 * maxShift, offset = (random.NextDouble() - 0.5) * 150 * maxShift;
        bool grey = random.Next(4) == 0;
        var pixels = new byte[source.Pixels.Length];
        for (int i = 0; i < pixels.Length; i += 3)
        {
            for (int c = 0; c < 3; c++)
            {
                double value = grey
                    ? 0.299 * source.Pixels[i] + 0.587 * source.Pixels[i + 1] + 0.114 * source.Pixels[i + 2]
                    : source.Pixels[i + c];
                pixels[i + c] = (byte)Math.Clamp(value * gain + offset, 0, 255);
            }
        }
        return new RgbImage(source.Width, source.Height, pixels);
    }

    /// <summary>The picture scaled to 30-60 % of the background's short side, placed at random.</summary>
    public static RgbImage PasteInto(RgbImage source, RgbImage background, Random random)
    {
        double fraction = 0.3 + random.NextDouble() * 0.3;
        double scale = fraction * Math.Min(background.Width, background.Height) / Math.Max(source.Width, source.Height);
        int width = Math.Max(16, (int)(source.Width * scale)), height = Math.Max(16, (int)(source.Height * scale));
        var small = ImageOps.Resize(source, width, height);
        var pixels = (byte[])background.Pixels.Clone();
        int x0 = random.Next(Math.Max(1, background.Width - width)), y0 = random.Next(Math.Max(1, background.Height - height));
        for (int y = 0; y < height && y0 + y < background.Height; y++)
        {
            int rowWidth = Math.Min(width, background.Width - x0);
            Array.Copy(small.Pixels, y * width * 3, pixels, ((y0 + y) * background.Width + x0) * 3, rowWidth * 3);
        }
        return new RgbImage(background.Width, background.Height, pixels);
    }
}
