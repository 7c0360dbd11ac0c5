namespace ArtMatch.Core.Keypoints;

/// <summary>How keypoints are found and described.</summary>
public sealed record KeypointSettings
{
    /// <summary>Most keypoints kept per picture, shared among pyramid levels by area.</summary>
    public int MaxKeypoints { get; init; } = 500;

    /// <summary>Shrink between pyramid levels: fine steps so a detail at any scale meets a level close to its own.</summary>
    public float ScaleFactor { get; init; } = 1.2f;

    public int Levels { get; init; } = 8;

    /// <summary>Brightness step (of 255) around the ring that makes a corner.</summary>
    public int FastThreshold { get; init; } = 12;

    /// <summary>
    /// Radius of the patch a descriptor compares pixels in. Small enough that a close-up of 72 px
    /// still has corners far enough from its edge to be described.
    /// </summary>
    public int PatchRadius { get; init; } = 12;

    /// <summary>Side, in pixels of each pyramid level, of the grid cells keypoints are spread over (0: strongest first only).</summary>
    public int CellSize { get; init; } = 16;
}

/// <summary>
/// Oriented FAST corners with steered binary descriptors (the ORB recipe: FAST-9 on a pyramid, Harris
/// ranking, intensity-centroid orientation, 256 comparisons of smoothed pixels turned to that
/// orientation). Pixel-level evidence that complements the CNN: it finds a close-up of a catalogue
/// picture, too small for the network's 32-pixel cells, by the exact arrangement of its corners.
/// Pure managed code, deterministic, thread-safe.
/// </summary>
public static partial class KeypointDetector
{
    /// <summary>FAST ring: 16 pixels on a circle of radius 3, in order around it.</summary>
    private static readonly (int X, int Y)[] Ring =
        [(0, -3), (1, -3), (2, -2), (3, -1), (3, 0), (3, 1), (2, 2), (1, 3), (0, 3), (-1, 3), (-2, 2), (-3, 1), (-3, 0), (-3, -1), (-2, -2), (-1, -3)];

    /// <summary>For each 16-bit ring mask: do 9 or more neighbouring ring pixels (circularly) have the bit set.</summary>
    private static readonly bool[] NineInARow = BuildArcTable();

    private const int AngleBins = 32;
    private const int Pairs = 256;
    private const int BoxRadius = 2;

    private static readonly Dictionary<int, sbyte[][]> SteeredPatterns = [];

    /// <param name="cancellation">Checked between pyramid levels (a speculation that is no longer needed stops).</param>
    public static KeypointSet Detect(GreyImage image, KeypointSettings settings, CancellationToken cancellation = default)
    {
        // The turned comparison pattern is stored as signed bytes.
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PatchRadius, 4, nameof(settings.PatchRadius));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.PatchRadius, 100, nameof(settings.PatchRadius));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.ScaleFactor, 1.05f, nameof(settings.ScaleFactor));
        int border = settings.PatchRadius + BoxRadius + 1;
        var pattern = PatternFor(settings.PatchRadius);
        var levels = new List<(GreyImage Image, float Scale)> { (image, 1) };
        for (int l = 1; l < settings.Levels; l++)
        {
            float scale = MathF.Pow(settings.ScaleFactor, l);
            int w = (int)Math.Round(image.Width / scale), h = (int)Math.Round(image.Height / scale);
            if (w <= 2 * border + 2 || h <= 2 * border + 2)
                break;
            cancellation.ThrowIfCancellationRequested();
            levels.Add((image.Shrink(w, h), scale));
        }
        double totalArea = levels.Sum(l => (double)(l.Image.Width - 2 * border) * (l.Image.Height - 2 * border));
        var points = new List<Keypoint>();
        var descriptors = new List<ulong>();
        foreach (var (level, scale) in levels)
        {
            cancellation.ThrowIfCancellationRequested();
            if (level.Width <= 2 * border || level.Height <= 2 * border)
                continue;
            double area = (double)(level.Width - 2 * border) * (level.Height - 2 * border);
            int quota = (int)Math.Ceiling(settings.MaxKeypoints * area / totalArea);
            var corners = FindCorners(level, settings.FastThreshold, border);
            var ranked = Ranked(level, corners);
            var kept = SpreadOut(ranked, quota, level.Width, level.Height, settings.CellSize);
            if (kept.Count == 0)
                continue;
            // Rented: over a megabyte at 640 px, a large-object allocation per level per photo.
            var integral = System.Buffers.ArrayPool<int>.Shared.Rent((level.Width + 1) * (level.Height + 1));
            try
            {
                Integral(level, integral);
                foreach (var (x, y, _) in kept)
                {
                    float angle = Orientation(level, x, y, settings.PatchRadius);
                    points.Add(new Keypoint((x + 0.5f) * scale - 0.5f, (y + 0.5f) * scale - 0.5f, scale, angle));
                    Describe(integral, level.Width + 1, x, y, pattern[Bin(angle)], descriptors);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<int>.Shared.Return(integral);
            }
        }
        return new KeypointSet(image.Width, image.Height, [.. points], [.. descriptors]);
    }

    /// <summary>
    /// Corners by Harris response, strongest first, ties by row then column: a strict order (no two
    /// corners share a position), so an unstable in-place sort gives the one answer.
    /// </summary>
    internal static (int X, int Y, float Response)[] Ranked(GreyImage level, List<(int X, int Y)> corners)
    {
        var ranked = new (int X, int Y, float Response)[corners.Count];
        for (int i = 0; i < ranked.Length; i++)
            ranked[i] = (corners[i].X, corners[i].Y, Harris(level, corners[i].X, corners[i].Y));
        Array.Sort(ranked, static (a, b) =>
        {
            int order = b.Response.CompareTo(a.Response);
            return order != 0 ? order : a.Y != b.Y ? a.Y.CompareTo(b.Y) : a.X.CompareTo(b.X);
        });
        return ranked;
    }

    /// <summary>
    /// The strongest corners, but first an equal share from every cell of a grid: ranked by strength
    /// alone they crowd into the most contrasted parts of a picture, and a close-up of a quieter part
    /// would find none to match. Cells with fewer corners leave their share to the strongest elsewhere.
    /// </summary>
    private static List<(int X, int Y, float Response)> SpreadOut((int X, int Y, float Response)[] ranked, int quota, int width, int height, int cellSize)
    {
        if (ranked.Length <= quota || cellSize <= 0)
            return ranked.Take(quota).ToList();
        int columns = (width + cellSize - 1) / cellSize, cells = columns * ((height + cellSize - 1) / cellSize);
        int perCell = Math.Max(1, quota / cells);
        var taken = new int[cells];
        var first = new List<(int X, int Y, float Response)>(quota);
        var rest = new List<(int X, int Y, float Response)>();
        foreach (var corner in ranked)
        {
            int cell = corner.Y / cellSize * columns + corner.X / cellSize;
            if (taken[cell] < perCell && first.Count < quota)
            {
                taken[cell]++;
                first.Add(corner);
            }
            else
            {
                rest.Add(corner);
            }
        }
        first.AddRange(rest.Take(quota - first.Count));
        return first;
    }

    /// <summary>Harris corner response over a 7x7 window (ranks corners: FAST alone also fires along edges).</summary>
    internal static float Harris(GreyImage image, int x, int y)
    {
        var px = image.Pixels;
        int width = image.Width;
        double a = 0, b = 0, c = 0;
        for (int dy = -3; dy <= 3; dy++)
        {
            int row = (y + dy) * width;
            for (int dx = -3; dx <= 3; dx++)
            {
                int at = row + x + dx;
                double ix = px[at + 1] - px[at - 1], iy = px[at + width] - px[at - width];
                a += ix * ix;
                b += iy * iy;
                c += ix * iy;
            }
        }
        double det = a * b - c * c, trace = a + b;
        return (float)((det - 0.04 * trace * trace) / 1e6);
    }

    /// <summary>Direction from the corner to the brightness centroid of its disc.</summary>
    private static float Orientation(GreyImage image, int x, int y, int radius)
    {
        var px = image.Pixels;
        int width = image.Width;
        long mx = 0, my = 0;
        for (int dy = -radius; dy <= radius; dy++)
        {
            int span = (int)Math.Sqrt(radius * radius - dy * dy);
            int row = (y + dy) * width + x;
            for (int dx = -span; dx <= span; dx++)
            {
                int v = px[row + dx];
                mx += dx * v;
                my += dy * v;
            }
        }
        return MathF.Atan2(my, mx);
    }

    private static int Bin(float angle)
    {
        int bin = (int)Math.Round(angle / (2 * Math.PI) * AngleBins);
        return ((bin % AngleBins) + AngleBins) % AngleBins;
    }

    /// <summary>256 comparisons of 5x5 box means at the pattern's point pairs, turned to the keypoint's angle.</summary>
    private static void Describe(int[] integral, int stride, int x, int y, sbyte[] pattern, List<ulong> output)
    {
        Span<ulong> words = stackalloc ulong[KeypointSet.DescriptorWords];
        for (int i = 0; i < Pairs; i++)
        {
            int a = BoxSum(integral, stride, x + pattern[4 * i], y + pattern[4 * i + 1]);
            int b = BoxSum(integral, stride, x + pattern[4 * i + 2], y + pattern[4 * i + 3]);
            if (a < b)
                words[i >> 6] |= 1UL << (i & 63);
        }
        foreach (var word in words)
            output.Add(word);
    }

    private static int BoxSum(int[] integral, int stride, int x, int y)
    {
        int x0 = x - BoxRadius, y0 = y - BoxRadius, x1 = x + BoxRadius + 1, y1 = y + BoxRadius + 1;
        return integral[y1 * stride + x1] - integral[y0 * stride + x1] - integral[y1 * stride + x0] + integral[y0 * stride + x0];
    }

    /// <summary>Summed-area table with a zero first row and column ((width + 1) x (height + 1)) into <paramref name="sums"/>.</summary>
    private static void Integral(GreyImage image, int[] sums)
    {
        int stride = image.Width + 1;
        Array.Clear(sums, 0, stride);
        for (int y = 1; y <= image.Height; y++)
            sums[y * stride] = 0;
        for (int y = 0; y < image.Height; y++)
        {
            int row = 0;
            for (int x = 0; x < image.Width; x++)
            {
                row += image.Pixels[y * image.Width + x];
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
            }
        }
    }

    /// <summary>
    /// The comparison pattern for one patch radius, turned to each of <see cref="AngleBins"/> angles:
    /// 256 point pairs drawn once from an isotropic Gaussian (BRIEF's choice) by a fixed-seed generator,
    /// so that every picture, in every process, is described the same way.
    /// </summary>
    private static sbyte[][] PatternFor(int radius)
    {
        lock (SteeredPatterns)
        {
            if (SteeredPatterns.TryGetValue(radius, out var cached))
                return cached;
            var random = new SplitMix64(0x5eed_a47_3a7c);
            double sigma = radius / 2.0, limit = radius - 0.5;
            var points = new (double X, double Y)[2 * Pairs];
            for (int i = 0; i < points.Length; i++)
            {
                double px, py;
                do
                {
                    (px, py) = (random.NextGaussian() * sigma, random.NextGaussian() * sigma);
                }
                while (px * px + py * py > limit * limit);
                points[i] = (px, py);
            }
            var steered = new sbyte[AngleBins][];
            for (int bin = 0; bin < AngleBins; bin++)
            {
                double angle = 2 * Math.PI * bin / AngleBins, cos = Math.Cos(angle), sin = Math.Sin(angle);
                var turned = new sbyte[4 * Pairs];
                for (int i = 0; i < points.Length; i++)
                {
                    var (px, py) = points[i];
                    turned[2 * i] = (sbyte)Math.Clamp(Math.Round(cos * px - sin * py), -radius, radius);
                    turned[2 * i + 1] = (sbyte)Math.Clamp(Math.Round(sin * px + cos * py), -radius, radius);
                }
                steered[bin] = turned;
            }
            SteeredPatterns[radius] = steered;
            return steered;
        }
    }

    private static bool[] BuildArcTable()
    {
        var table = new bool[1 << 16];
        for (int mask = 0; mask < table.Length; mask++)
        {
            int doubled = mask | (mask << 16), run = 0;
            for (int k = 0; k < 32 && !table[mask]; k++)
            {
                run = (doubled >> k & 1) != 0 ? run + 1 : 0;
                table[mask] = run >= 9;
            }
        }
        return table;
    }

    /// <summary>A tiny fixed generator: the pattern must not change with the runtime's Random.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }

        public double NextUniform() => (Next() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Box-Muller, one value per call.</summary>
        public double NextGaussian()
        {
            double u = 1 - NextUniform(), v = NextUniform();
            return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
        }
    }
}
