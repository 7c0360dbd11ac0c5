using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Embedding;

/// <summary>Overlapping square crops tiling a picture at several sizes (R-MAC-style region layout).</summary>
public static class RegionGrid
{
    /// <summary>
    /// For each scale s (a fraction of the short side), squares of side s * shortSide placed on a
    /// grid with about 40 % overlap covering the whole picture.
    /// </summary>
    public static IEnumerable<PixelRect> Squares(int width, int height, IEnumerable<float> scales, int minSide = 16)
    {
        int shortSide = Math.Min(width, height);
        foreach (float scale in scales)
        {
            int side = Math.Max(minSide, (int)Math.Round(shortSide * scale));
            if (side > shortSide)
                continue;
            foreach (int y in Positions(height, side))
            {
                foreach (int x in Positions(width, side))
                    yield return new PixelRect(x, y, side, side);
            }
        }
    }

    private static IEnumerable<int> Positions(int length, int side)
    {
        if (side >= length)
        {
            yield return 0;
            yield break;
        }
        // Steps of at most 60 % of the side, spread evenly so the last square touches the far edge.
        int steps = (int)Math.Ceiling((length - side) / (0.6 * side));
        for (int i = 0; i <= steps; i++)
            yield return (int)Math.Round((double)i * (length - side) / steps);
    }
}
