using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace ArtMatch.Core.Keypoints;

/// <summary>The FAST-9 test, 32 or 16 pixels at a time where the CPU has vectors, and the plain loop it must equal.</summary>
public static partial class KeypointDetector
{
    /// <summary>Which loop scores the FAST corners: the widest the CPU has by default; tests pin each one.</summary>
    internal enum FastTier
    {
        Best,
        Scalar,
        Vector128,
        Vector256,
    }

    /// <summary>FAST-9 corners after 3x3 non-maximum suppression on the FAST score.</summary>
    private static List<(int X, int Y)> FindCorners(GreyImage image, int threshold, int border)
    {
        int width = image.Width, height = image.Height;
        // Rented: a 640 x 480 level's scores are over a megabyte, a large-object allocation per level per photo.
        var score = ArrayPool<int>.Shared.Rent(width * height);
        try
        {
            Array.Clear(score, 0, width * height);
            FastScores(image, threshold, border, score, FastTier.Best);
            return Peaks(score, width, height, border);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(score);
        }
    }

    private static List<(int X, int Y)> Peaks(int[] score, int width, int height, int border)
    {
        var corners = new List<(int, int)>();
        for (int y = border; y < height - border; y++)
        {
            for (int x = border; x < width - border; x++)
            {
                int at = y * width + x, v = score[at];
                if (v == 0)
                    continue;
                bool peak = true;
                for (int dy = -1; dy <= 1 && peak; dy++)
                {
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int other = score[at + dy * width + dx];
                        // Ties go to the earlier pixel so that a flat plateau keeps exactly one corner.
                        if (other > v || (other == v && dy * width + dx < 0))
                        {
                            peak = false;
                            break;
                        }
                    }
                }
                if (peak)
                    corners.Add((x, y));
            }
        }
        return corners;
    }

    /// <summary>
    /// The FAST score of every pixel inside the border (0: not a corner) into <paramref name="score"/>,
    /// which must be zero there. The vector loops only find which pixels are corners; each corner's
    /// score comes from <see cref="ScorePixel"/>, as in the plain loop, so the scores are the same to the bit.
    /// </summary>
    internal static unsafe void FastScores(GreyImage image, int threshold, int border, int[] score, FastTier tier)
    {
        int width = image.Width, height = image.Height;
        int* ring = stackalloc int[16];
        for (int k = 0; k < 16; k++)
            ring[k] = Ring[k].Y * width + Ring[k].X;
        // A threshold outside a byte cannot be broadcast; the plain loop handles it.
        if (threshold is < 0 or > 255)
            tier = FastTier.Scalar;
        else if (tier == FastTier.Best)
            tier = Vector256.IsHardwareAccelerated ? FastTier.Vector256 : Vector128.IsHardwareAccelerated ? FastTier.Vector128 : FastTier.Scalar;
        fixed (byte* pixels = image.Pixels)
        fixed (int* scores = score)
        fixed (bool* nineInARow = NineInARow)
        {
            for (int y = border; y < height - border; y++)
            {
                int x = border;
                if (tier == FastTier.Vector256)
                    x = Row256(pixels, scores, width, y, x, width - border, threshold, ring, nineInARow);
                if (tier is FastTier.Vector256 or FastTier.Vector128)
                    x = Row128(pixels, scores, width, y, x, width - border, threshold, ring, nineInARow);
                for (; x < width - border; x++)
                    scores[y * width + x] = ScorePixel(pixels + y * width + x, threshold, ring, nineInARow);
            }
        }
    }

    /// <summary>The plain loop, kept as the reference the vector loops are tested against.</summary>
    internal static unsafe void FastScoresReference(GreyImage image, int threshold, int border, int[] score)
    {
        int width = image.Width, height = image.Height;
        int* ring = stackalloc int[16];
        for (int k = 0; k < 16; k++)
            ring[k] = Ring[k].Y * width + Ring[k].X;
        fixed (byte* pixels = image.Pixels)
        fixed (bool* nineInARow = NineInARow)
        {
            for (int y = border; y < height - border; y++)
            {
                for (int x = border; x < width - border; x++)
                    score[y * width + x] = ScorePixel(pixels + y * width + x, threshold, ring, nineInARow);
            }
        }
    }

    /// <summary>One pixel's FAST score: 1 + the summed excess of its brightest (or darkest) arc of 9 or more ring pixels, 0 when it has none.</summary>
    private static unsafe int ScorePixel(byte* centre, int threshold, int* ring, bool* nineInARow)
    {
        int hi = *centre + threshold, lo = *centre - threshold;
        // An arc of 9 ring pixels holds one of north/south and one of east/west: test those first.
        int n = centre[ring[0]], s = centre[ring[8]];
        bool maybeBright = n > hi || s > hi, maybeDark = n < lo || s < lo;
        if (!maybeBright && !maybeDark)
            return 0;
        int e = centre[ring[4]], w = centre[ring[12]];
        maybeBright &= e > hi || w > hi;
        maybeDark &= e < lo || w < lo;
        if (!maybeBright && !maybeDark)
            return 0;
        int bright = 0, dark = 0, brightSum = 0, darkSum = 0;
        // Branch-free: on textured pictures which ring pixels pass is unpredictable.
        for (int k = 0; k < 16; k++)
        {
            int v = centre[ring[k]];
            int isBright = (int)((uint)(hi - v) >> 31), isDark = (int)((uint)(v - lo) >> 31);
            bright |= isBright << k;
            dark |= isDark << k;
            brightSum += (v - hi) & -isBright;
            darkSum += (lo - v) & -isDark;
        }
        int result = 0;
        if (nineInARow[bright])
            result = brightSum + 1;
        if (nineInARow[dark])
            result = Math.Max(result, darkSum + 1);
        return result;
    }

    /// <summary>
    /// 32 pixels at a time from <paramref name="x"/> while they fit before <paramref name="end"/>; returns
    /// where it stopped. Bytes saturate at 0 and 255, which changes no comparison: no pixel is above 255 or below 0.
    /// </summary>
    private static unsafe int Row256(byte* pixels, int* scores, int width, int y, int x, int end, int threshold, int* ring, bool* nineInARow)
    {
        var t = Vector256.Create((byte)threshold);
        var bright = stackalloc Vector256<byte>[16];
        var dark = stackalloc Vector256<byte>[16];
        for (; x + 32 <= end; x += 32)
        {
            byte* centre = pixels + y * width + x;
            var c = Vector256.Load(centre);
            var hi = Vector256.AddSaturate(c, t);
            var lo = Vector256.SubtractSaturate(c, t);
            var n = Vector256.Load(centre + ring[0]);
            var s = Vector256.Load(centre + ring[8]);
            var e = Vector256.Load(centre + ring[4]);
            var w = Vector256.Load(centre + ring[12]);
            var maybe = ((Vector256.GreaterThan(n, hi) | Vector256.GreaterThan(s, hi)) & (Vector256.GreaterThan(e, hi) | Vector256.GreaterThan(w, hi)))
                      | ((Vector256.LessThan(n, lo) | Vector256.LessThan(s, lo)) & (Vector256.LessThan(e, lo) | Vector256.LessThan(w, lo)));
            if (maybe == Vector256<byte>.Zero)
                continue;
            for (int k = 0; k < 16; k++)
            {
                var v = Vector256.Load(centre + ring[k]);
                bright[k] = Vector256.GreaterThan(v, hi);
                dark[k] = Vector256.LessThan(v, lo);
            }
            uint corners = (NineInARow256(bright) | NineInARow256(dark)).ExtractMostSignificantBits();
            Score(corners, centre, scores + y * width + x, threshold, ring, nineInARow);
        }
        return x;
    }

    /// <summary>As <see cref="Row256"/>, 16 pixels at a time.</summary>
    private static unsafe int Row128(byte* pixels, int* scores, int width, int y, int x, int end, int threshold, int* ring, bool* nineInARow)
    {
        var t = Vector128.Create((byte)threshold);
        var bright = stackalloc Vector128<byte>[16];
        var dark = stackalloc Vector128<byte>[16];
        for (; x + 16 <= end; x += 16)
        {
            byte* centre = pixels + y * width + x;
            var c = Vector128.Load(centre);
            var hi = Vector128.AddSaturate(c, t);
            var lo = Vector128.SubtractSaturate(c, t);
            var n = Vector128.Load(centre + ring[0]);
            var s = Vector128.Load(centre + ring[8]);
            var e = Vector128.Load(centre + ring[4]);
            var w = Vector128.Load(centre + ring[12]);
            var maybe = ((Vector128.GreaterThan(n, hi) | Vector128.GreaterThan(s, hi)) & (Vector128.GreaterThan(e, hi) | Vector128.GreaterThan(w, hi)))
                      | ((Vector128.LessThan(n, lo) | Vector128.LessThan(s, lo)) & (Vector128.LessThan(e, lo) | Vector128.LessThan(w, lo)));
            if (maybe == Vector128<byte>.Zero)
                continue;
            for (int k = 0; k < 16; k++)
            {
                var v = Vector128.Load(centre + ring[k]);
                bright[k] = Vector128.GreaterThan(v, hi);
                dark[k] = Vector128.LessThan(v, lo);
            }
            uint corners = (NineInARow128(bright) | NineInARow128(dark)).ExtractMostSignificantBits();
            Score(corners, centre, scores + y * width + x, threshold, ring, nineInARow);
        }
        return x;
    }

    /// <summary>Scores the pixels whose bit is set, one by one as the plain loop does.</summary>
    private static unsafe void Score(uint corners, byte* centre, int* scores, int threshold, int* ring, bool* nineInARow)
    {
        while (corners != 0)
        {
            int j = BitOperations.TrailingZeroCount(corners);
            scores[j] = ScorePixel(centre + j, threshold, ring, nineInARow);
            corners &= corners - 1;
        }
    }

    /// <summary>Lanes where 9 ring comparisons in a row (circularly) hold: runs of 2, 4, 8 by doubling, then the ninth.</summary>
    private static unsafe Vector256<byte> NineInARow256(Vector256<byte>* passes)
    {
        var two = stackalloc Vector256<byte>[16];
        var four = stackalloc Vector256<byte>[16];
        for (int k = 0; k < 16; k++)
            two[k] = passes[k] & passes[(k + 1) & 15];
        for (int k = 0; k < 16; k++)
            four[k] = two[k] & two[(k + 2) & 15];
        var any = Vector256<byte>.Zero;
        for (int k = 0; k < 16; k++)
            any |= four[k] & four[(k + 4) & 15] & passes[(k + 8) & 15];
        return any;
    }

    private static unsafe Vector128<byte> NineInARow128(Vector128<byte>* passes)
    {
        var two = stackalloc Vector128<byte>[16];
        var four = stackalloc Vector128<byte>[16];
        for (int k = 0; k < 16; k++)
            two[k] = passes[k] & passes[(k + 1) & 15];
        for (int k = 0; k < 16; k++)
            four[k] = two[k] & two[(k + 2) & 15];
        var any = Vector128<byte>.Zero;
        for (int k = 0; k < 16; k++)
            any |= four[k] & four[(k + 4) & 15] & passes[(k + 8) & 15];
        return any;
    }
}
