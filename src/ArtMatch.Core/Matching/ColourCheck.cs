using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching;

/// <summary>
/// Pixels seen through the coordinates a verification worked in: frame point (x, y) is pixel
/// ((x + OffsetX) * Scale, (y + OffsetY) * Scale). Lets the check read a crop's frame from the whole
/// photo, or a full-size frame from a thumbnail.
/// </summary>
public readonly record struct PictureFrame(RgbImage Pixels, double Scale = 1, double OffsetX = 0, double OffsetY = 0);

/// <summary>
/// Compares the colours of two pictures where the geometric check lined them up. CNN features
/// barely see colour, so a gold coin and a silver coin of one design, or one print in two
/// colourways, verify as the same layout; their colours do not agree. Colour is compared as
/// log-chromaticity (log R/G, log B/G), where a change of light or of white balance moves a
/// picture by a few tenths at most and a different material or paint moves it further.
/// </summary>
public static class ColourCheck
{
    /// <summary>Points whose brightest channel is below this (0..255) carry no reliable colour.</summary>
    private const float DarkLevel = 24f;

    /// <summary>
    /// Point pairs where both points are closer to grey than this say nothing about colour (white
    /// backgrounds, grey stone) and are left out, or they would outvote the coloured parts.
    /// </summary>
    private const float ColouredChroma = 0.1f;

    /// <summary>
    /// A picture with no pixel further from grey than this is a greyscale picture (stored grey, or
    /// a camera's mono mode); a colour photo of even a grey object has more colour noise than that.
    /// </summary>
    private const float GreyscaleChroma = 0.05f;

    /// <summary>Points sampled per cell side inside the matched area.</summary>
    private const int PointsPerSide = 3;

    /// <summary>At most this many points across the matched area.</summary>
    private const int MaxPointsPerSide = 32;

    /// <summary>Fewer coloured points than this and the check abstains.</summary>
    private const int MinPoints = 8;

    /// <summary>
    /// How far apart the colours of the lined-up parts lie (log-chromaticity distance, the larger of the
    /// two directions). Null when the check cannot judge: no transform, a greyscale picture on either
    /// side (a greyscale photo of a coloured object is not a colour mismatch), or too few coloured points.
    /// </summary>
    public static float? Shift(PictureFrame query, PictureFrame candidate, LocalFeatures candidateFeatures,
                               int candidateWidth, int candidateHeight, Verification verification)
    {
        if (verification.Transform is not { } transform || !HasColour(query.Pixels) || !HasColour(candidate.Pixels))
            return null;
        double cellWidth = (double)candidateWidth / candidateFeatures.GridWidth, cellHeight = (double)candidateHeight / candidateFeatures.GridHeight;
        var centres = verification.InlierPairs
            .Select(p => ((p.Candidate % candidateFeatures.GridWidth + 0.5) * cellWidth, (p.Candidate / candidateFeatures.GridWidth + 0.5) * cellHeight))
            .ToList();
        // Only the inside of the matched area: its rim is where the object meets a background, and
        // the same object on another background is not a colour mismatch.
        double cell = Math.Max(cellWidth, cellHeight);
        var pixelsToQuery = new List<float>();
        var pixelsToCandidate = new List<float>();
        var hull = ConvexHull.Of(centres);
        // Three points a cell, but no more than about MaxPointsPerSide across the hull: a large match
        // is judged as well from a thousand points as from ten thousand.
        double extent = hull.Count == 0 ? 0 : Math.Max(hull.Max(p => p.X) - hull.Min(p => p.X), hull.Max(p => p.Y) - hull.Min(p => p.Y));
        double step = Math.Max(cell / PointsPerSide, extent / MaxPointsPerSide);
        foreach (var (x, y) in ConvexHull.PointsInside(hull, inset: 0.5 * cell, step))
        {
            var (qx, qy) = transform.Apply(x, y);
            if (Chromaticity(candidate, x, y) is not { } there || Chromaticity(query, qx, qy) is not { } here)
                continue;
            if (Length(there) < ColouredChroma && Length(here) < ColouredChroma)
                continue;
            // Cell-sized features line pictures up to within about a cell, not a pixel: a colour counts
            // as present when it is within half a cell of where it should be.
            pixelsToQuery.Add(ClosestDistance(query, qx, qy, 0.5 * cell * transform.Scale, there));
            pixelsToCandidate.Add(ClosestDistance(candidate, x, y, 0.5 * cell, here));
        }
        // Both ways: near-grey silver finds grey background near any gold, but gold finds no gold on silver.
        return pixelsToQuery.Count < MinPoints ? null : MathF.Max(Median(pixelsToQuery), Median(pixelsToCandidate));
    }

    private static float ClosestDistance(PictureFrame frame, double x, double y, double reach, (float Red, float Blue) wanted)
    {
        const int steps = 1;
        float best = float.MaxValue;
        for (int dy = -steps; dy <= steps; dy++)
        {
            for (int dx = -steps; dx <= steps; dx++)
            {
                if (Chromaticity(frame, x + dx * reach / steps, y + dy * reach / steps) is { } found)
                    best = MathF.Min(best, Length((found.Red - wanted.Red, found.Blue - wanted.Blue)));
            }
        }
        return best;
    }

    /// <summary>False for a greyscale picture.</summary>
    private static bool HasColour(RgbImage image)
    {
        var pixels = image.Pixels;
        // A sparse sample is enough: a colour photo has many coloured pixels.
        int step = Math.Max(1, image.Width * image.Height / 4096);
        for (int i = 0; i < image.Width * image.Height; i += step)
        {
            if (Chromaticity(pixels[i * 3], pixels[i * 3 + 1], pixels[i * 3 + 2]) is { } chroma && Length(chroma) >= GreyscaleChroma)
                return true;
        }
        return false;
    }

    /// <summary>Chromaticity of the 3 x 3 pixels around a frame point; null outside the picture or when dark.</summary>
    private static (float Red, float Blue)? Chromaticity(PictureFrame frame, double x, double y)
    {
        var image = frame.Pixels;
        int px = (int)Math.Floor((x + frame.OffsetX) * frame.Scale), py = (int)Math.Floor((y + frame.OffsetY) * frame.Scale);
        if (px < 0 || py < 0 || px >= image.Width || py >= image.Height)
            return null;
        float r = 0, g = 0, b = 0;
        int count = 0;
        for (int yy = Math.Max(0, py - 1); yy <= Math.Min(image.Height - 1, py + 1); yy++)
        {
            for (int xx = Math.Max(0, px - 1); xx <= Math.Min(image.Width - 1, px + 1); xx++)
            {
                int p = (yy * image.Width + xx) * 3;
                r += image.Pixels[p];
                g += image.Pixels[p + 1];
                b += image.Pixels[p + 2];
                count++;
            }
        }
        return Chromaticity(r / count, g / count, b / count);
    }

    private static (float Red, float Blue)? Chromaticity(float r, float g, float b)
    {
        if (MathF.Max(r, MathF.Max(g, b)) < DarkLevel)
            return null;
        // The offset keeps near-black channels from dominating the ratios.
        const float offset = 8f;
        return (MathF.Log((r + offset) / (g + offset)), MathF.Log((b + offset) / (g + offset)));
    }

    private static float Length((float Red, float Blue) chroma) => MathF.Sqrt(chroma.Red * chroma.Red + chroma.Blue * chroma.Blue);

    private static float Median(List<float> values)
    {
        values.Sort();
        int middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
