using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching;

/// <summary>
/// Makes plausible "photos" of a catalogue picture for calibration: crops, tilts in brightness
/// and contrast, loss of detail, the picture pasted small into another picture (an object on
/// a market stall) or small among clutter (<see cref="PasteIntoClutter"/>), a small close-up of one part (a detail cut from a larger photo), the picture
/// photographed off a screen (<see cref="ScreenPhoto"/>), and sideways (<see cref="Sideways"/>). Seeded, so calibration is reproducible.
/// </summary>
public static class SyntheticViews
{
    /// <summary>One random view; <paramref name="pasted"/> says whether the background (another picture) is in it.</summary>
    public static RgbImage Make(RgbImage source, RgbImage? background, Random random, out bool pasted)
    {
        var view = Make(source, background is null ? [] : [() => background], random, out int used);
        pasted = used > 0;
        return view;
    }

    /// <summary>
    /// One random view. <paramref name="others"/> are pictures of other catalogue objects, decoded only
    /// when the view is pasted among them; <paramref name="used"/> says how many of them (the first ones)
    /// are in the view: their objects are in the photo too. A pasted view is the picture in another
    /// picture (one in three) or small in a cluttered scene made of several (<see cref="PasteIntoClutter"/>).
    /// </summary>
    public static RgbImage Make(RgbImage source, IReadOnlyList<Func<RgbImage>> others, Random random, out int used)
    {
        int kind = random.Next(7);
        used = 0;
        if (kind == 2 && others.Count > 0)
        {
            if (others.Count == 1 || random.Next(3) == 0)
            {
                used = 1;
                return PasteInto(source, others[0](), random);
            }
            used = Math.Min(others.Count, 2 + random.Next(3));
            return PasteIntoClutter(source, others.Take(used).Select(other => other()).ToList(), random);
        }
        return kind switch
        {
            0 => RandomCrop(source, random, 0.45, 0.9),
            1 => Degrade(source, random),
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

    /// <summary>Gain and offset of brightness (gain within 1 ± <paramref name="maxShift"/>); one in four greyscale (unless <paramref name="mayTurnGrey"/> is false).</summary>
    public static RgbImage Photometric(RgbImage source, Random random, double maxShift = 0.4, bool mayTurnGrey = true)
    {
        double gain = 1 - maxShift + random.NextDouble() * 2 * maxShift, offset = (random.NextDouble() - 0.5) * 150 * maxShift;
        bool grey = random.Next(4) == 0 && mayTurnGrey;
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

    /// <summary>
    /// The picture small in a cluttered scene, as a photo of a stall or a shelf: a 640 x 480 frame (either
    /// way up) tiled with crops of the <paramref name="clutter"/> pictures, noise textures and tile
    /// patterns, with cut-outs of the clutter pictures scattered over it, and the picture covering 15-35 %
    /// of the frame's area, off-centre, in slightly other light. Harder than <see cref="PasteInto"/>: the
    /// whole photo's vector hardly knows the object, and the runner-ups are everywhere. Calibration needs
    /// such views, or it chooses a "no match" rule that stops these photos before the regions find them.
    /// </summary>
    public static RgbImage PasteIntoClutter(RgbImage source, IReadOnlyList<RgbImage> clutter, Random random)
    {
        bool landscape = random.Next(2) == 0;
        int width = landscape ? ClutterLong : ClutterShort, height = landscape ? ClutterShort : ClutterLong;
        var canvas = new RgbImage(width, height, new byte[width * height * 3]);
        // The scene: a grid of 2-3 x 2-3 tiles, each a crop of a clutter picture, a noise texture or a tile pattern.
        int columns = 2 + random.Next(2), rows = 2 + random.Next(2);
        for (int row = 0; row < rows; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                var cell = new PixelRect(column * width / columns, row * height / rows, (column + 1) * width / columns - column * width / columns, (row + 1) * height / rows - row * height / rows);
                int fill = clutter.Count == 0 ? 1 + random.Next(2) : random.Next(3);
                var tile = fill switch
                {
                    0 => ImageOps.Resize(RandomCrop(clutter[random.Next(clutter.Count)], random, 0.3, 1.0), cell.Width, cell.Height),
                    1 => NoiseTexture(cell.Width, cell.Height, random),
                    _ => TilePattern(cell.Width, cell.Height, random),
                };
                Place(canvas, tile, cell.X, cell.Y);
            }
        }
        // Cut-outs of the other objects lying about, each 4-12 % of the frame's area.
        foreach (var other in clutter)
        {
            var cut = Scaled(RandomCrop(other, random, 0.5, 1.0), width * height * (0.04 + random.NextDouble() * 0.08));
            Place(canvas, cut, random.Next(Math.Max(1, width - cut.Width)), random.Next(Math.Max(1, height - cut.Height)));
        }
        // The object: 15-35 % of the area, its centre off the frame's middle fifth.
        var item = Photometric(Scaled(source, width * height * (0.15 + random.NextDouble() * 0.2)), random, maxShift: 0.2, mayTurnGrey: false);
        int x0, y0;
        do
        {
            x0 = random.Next(Math.Max(1, width - item.Width + 1));
            y0 = random.Next(Math.Max(1, height - item.Height + 1));
        }
        while (Math.Abs(x0 + item.Width / 2.0 - width / 2.0) < width * 0.1 && Math.Abs(y0 + item.Height / 2.0 - height / 2.0) < height * 0.1);
        Place(canvas, item, x0, y0);
        return canvas;
    }

    /// <summary>Long and short side of <see cref="PasteIntoClutter"/>'s frame (a phone photo as the describer decodes it).</summary>
    public const int ClutterLong = 640, ClutterShort = 480;

    /// <summary>The picture resized, its aspect kept, to about <paramref name="area"/> pixels (at most the frame).</summary>
    private static RgbImage Scaled(RgbImage source, double area)
    {
        double scale = Math.Sqrt(area / ((double)source.Width * source.Height));
        int width = Math.Clamp((int)(source.Width * scale), 16, ClutterLong), height = Math.Clamp((int)(source.Height * scale), 16, ClutterShort);
        return ImageOps.Resize(source, width, height);
    }

    /// <summary>Copies <paramref name="tile"/> into <paramref name="canvas"/> at (x0, y0), clipped to the canvas.</summary>
    private static void Place(RgbImage canvas, RgbImage tile, int x0, int y0)
    {
        int rowWidth = Math.Min(tile.Width, canvas.Width - x0);
        for (int y = 0; y < tile.Height && y0 + y < canvas.Height; y++)
        {
            if (rowWidth > 0)
                Array.Copy(tile.Pixels, y * tile.Width * 3, canvas.Pixels, ((y0 + y) * canvas.Width + x0) * 3, rowWidth * 3);
        }
    }

    /// <summary>Value noise: random colours on a coarse grid, smoothly interpolated, with fine grain (cloth, wood, stone).</summary>
    public static RgbImage NoiseTexture(int width, int height, Random random)
    {
        int cell = 8 + random.Next(40);
        int gw = width / cell + 2, gh = height / cell + 2;
        var baseColour = new double[3];
        for (int c = 0; c < 3; c++)
            baseColour[c] = 40 + random.NextDouble() * 170;
        var grid = new double[gw * gh * 3];
        for (int i = 0; i < grid.Length; i++)
            grid[i] = baseColour[i % 3] + (random.NextDouble() - 0.5) * 120;
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int gy = y / cell;
            double fy = (double)(y % cell) / cell;
            for (int x = 0; x < width; x++)
            {
                int gx = x / cell;
                double fx = (double)(x % cell) / cell;
                double grain = (random.NextDouble() - 0.5) * 24;
                for (int c = 0; c < 3; c++)
                {
                    double top = grid[(gy * gw + gx) * 3 + c] * (1 - fx) + grid[(gy * gw + gx + 1) * 3 + c] * fx;
                    double bottom = grid[((gy + 1) * gw + gx) * 3 + c] * (1 - fx) + grid[((gy + 1) * gw + gx + 1) * 3 + c] * fx;
                    pixels[(y * width + x) * 3 + c] = (byte)Math.Clamp(top * (1 - fy) + bottom * fy + grain, 0, 255);
                }
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Tiles or a checked cloth: two colours alternating in squares of a random size, with grout lines.</summary>
    public static RgbImage TilePattern(int width, int height, Random random)
    {
        int side = 6 + random.Next(30);
        var a = new byte[] { (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256) };
        var b = new byte[] { (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256) };
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool grout = x % side == 0 || y % side == 0;
                var colour = ((x / side + y / side) & 1) == 0 ? a : b;
                for (int c = 0; c < 3; c++)
                    pixels[(y * width + x) * 3 + c] = grout ? (byte)200 : colour[c];
            }
        }
        return new RgbImage(width, height, pixels);
    }
}
