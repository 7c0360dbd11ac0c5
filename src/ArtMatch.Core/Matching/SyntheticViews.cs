using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching;

/// <summary>
/// Makes plausible "photos" of a catalogue picture for calibration: crops, tilts in brightness
/// and contrast, loss of detail, the picture pasted small into another picture (an object on
/// a market stall), a small close-up of one part (a detail cut from a larger photo), the picture
/// photographed off a screen (<see cref="ScreenPhoto"/>), and sideways (<see cref="Sideways"/>). Seeded, so calibration is reproducible.
/// </summary>
public static class SyntheticViews
{
    /// <summary>One random view; <paramref name="pasted"/> says whether the background (another picture) is in it.</summary>
    public static RgbImage Make(RgbImage source, RgbImage? background, Random random, out bool pasted)
    {
        int kind = random.Next(7);
        pasted = kind == 2 && background is not null;
        return kind switch
        {
            0 => RandomCrop(source, random, 0.45, 0.9),
            1 => Degrade(source, random),
            2 when background is not null => PasteInto(source, background, random),
            3 => CloseUp(source, random),
            5 => ScreenPhoto(source, random),
            6 => Sideways(source, random),
            _ => Photometric(RandomCrop(source, random, 0.7, 1.0), random),
        };
    }

    /// <summary>
    /// The picture photographed sideways or upside down, its orientation tag lost (or an object lying at
    /// another angle than in the catalogue): a crop in other light, or a close-up, turned by one to three
    /// quarter turns. The whole-photo vector hardly knows it until the turns stage has run; without such
    /// views calibration could choose a "no match" rule that stops these photos too early.
    /// </summary>
    public static RgbImage Sideways(RgbImage source, Random random)
    {
        var view = random.Next(4) == 0 ? CloseUp(source, random) : Photometric(RandomCrop(source, random, 0.6, 1.0), random);
        return ImageOps.TurnClockwise(view, 1 + random.Next(3));
    }

    /// <summary>
    /// The picture as shown on a monitor or phone and photographed: seen off-axis (a perspective warp onto
    /// a dark surround), the screen's pixel grid (dark lines every few pixels), moiré (a slow interference
    /// of that grid with the camera's sensor, as a tilted low-frequency wave), and glare (a bright soft
    /// blob). An auction listing or database page photographed is a common way such photos arrive.
    /// </summary>
    public static RgbImage ScreenPhoto(RgbImage source, Random random)
    {
        int width = source.Width, height = source.Height;
        // Perspective: each corner of the picture moves inwards by up to 12 % of the side.
        double J() => random.NextDouble() * 0.12;
        var corners = new (double X, double Y)[] { (J(), J()), (1 - J(), J()), (1 - J(), 1 - J()), (J(), 1 - J()) };
        int pitch = 3 + random.Next(3);
        double gridDepth = 0.15 + random.NextDouble() * 0.2;
        double moireAngle = random.NextDouble() * Math.PI, moirePeriod = 12 + random.NextDouble() * 30, moireDepth = 0.08 + random.NextDouble() * 0.12;
        double glareX = random.NextDouble() * width, glareY = random.NextDouble() * height;
        double glareRadius = (0.15 + random.NextDouble() * 0.25) * Math.Max(width, height), glareStrength = 60 + random.NextDouble() * 120;
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 3;
                if (!InverseBilinear(corners, (double)x / width, (double)y / height, out double u, out double v))
                {
                    pixels[o] = pixels[o + 1] = pixels[o + 2] = 20;
                    continue;
                }
                int sx = Math.Clamp((int)(u * width), 0, width - 1), sy = Math.Clamp((int)(v * height), 0, height - 1);
                int si = (sy * width + sx) * 3;
                double grid = (x % pitch == 0 || y % pitch == 0) ? 1 - gridDepth : 1;
                double phase = (x * Math.Cos(moireAngle) + y * Math.Sin(moireAngle)) * 2 * Math.PI / moirePeriod;
                double moire = 1 + moireDepth * Math.Sin(phase);
                double dx = x - glareX, dy = y - glareY;
                double glare = glareStrength * Math.Exp(-(dx * dx + dy * dy) / (2 * glareRadius * glareRadius));
                for (int c = 0; c < 3; c++)
                    pixels[o + c] = (byte)Math.Clamp(source.Pixels[si + c] * grid * moire + glare, 0, 255);
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>
    /// Where (u, v) in the unit square lands at (x, y) inside the quadrilateral <paramref name="q"/>
    /// (corners clockwise from top left, bilinear map; close to a mild perspective); false outside it.
    /// </summary>
    private static bool InverseBilinear((double X, double Y)[] q, double x, double y, out double u, out double v)
    {
        // A few Newton steps on P(u,v) = (1-u)(1-v)q0 + u(1-v)q1 + uv q2 + (1-u)v q3 = (x,y).
        u = 0.5;
        v = 0.5;
        for (int i = 0; i < 8; i++)
        {
            double px = (1 - u) * (1 - v) * q[0].X + u * (1 - v) * q[1].X + u * v * q[2].X + (1 - u) * v * q[3].X - x;
            double py = (1 - u) * (1 - v) * q[0].Y + u * (1 - v) * q[1].Y + u * v * q[2].Y + (1 - u) * v * q[3].Y - y;
            double dxu = -(1 - v) * q[0].X + (1 - v) * q[1].X + v * q[2].X - v * q[3].X;
            double dyu = -(1 - v) * q[0].Y + (1 - v) * q[1].Y + v * q[2].Y - v * q[3].Y;
            double dxv = -(1 - u) * q[0].X - u * q[1].X + u * q[2].X + (1 - u) * q[3].X;
            double dyv = -(1 - u) * q[0].Y - u * q[1].Y + u * q[2].Y + (1 - u) * q[3].Y;
            double det = dxu * dyv - dxv * dyu;
            if (Math.Abs(det) < 1e-12)
                return false;
            u -= (px * dyv - py * dxv) / det;
            v -= (py * dxu - px * dyu) / det;
        }
        return u is >= 0 and <= 1 && v is >= 0 and <= 1;
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
