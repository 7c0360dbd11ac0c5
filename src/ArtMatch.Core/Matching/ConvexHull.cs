namespace ArtMatch.Core.Matching;

/// <summary>The convex hull of a few points, and a grid of points well inside it.</summary>
internal static class ConvexHull
{
    /// <summary>Hull corners in counter-clockwise order (Andrew's monotone chain); fewer than 3 when the points are collinear.</summary>
    public static List<(double X, double Y)> Of(IEnumerable<(double X, double Y)> points)
    {
        var sorted = points.Distinct().OrderBy(p => p.X).ThenBy(p => p.Y).ToList();
        if (sorted.Count < 3)
            return sorted;
        var hull = new List<(double X, double Y)>();
        // Lower chain left to right, then upper chain right to left; each drops corners that turn clockwise.
        foreach (var pass in new[] { sorted, Enumerable.Reverse(sorted).ToList() })
        {
            int start = hull.Count;
            foreach (var p in pass)
            {
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], p) <= 0)
                    hull.RemoveAt(hull.Count - 1);
                hull.Add(p);
            }
            hull.RemoveAt(hull.Count - 1);
        }
        return hull;
    }

    /// <summary>Grid points, <paramref name="step"/> apart, at least <paramref name="inset"/> inside every edge of a counter-clockwise hull.</summary>
    public static IEnumerable<(double X, double Y)> PointsInside(List<(double X, double Y)> hull, double inset, double step)
    {
        if (hull.Count < 3 || step <= 0)
            yield break;
        double minX = hull.Min(p => p.X), maxX = hull.Max(p => p.X), minY = hull.Min(p => p.Y), maxY = hull.Max(p => p.Y);
        for (double y = minY + inset; y <= maxY - inset; y += step)
        {
            for (double x = minX + inset; x <= maxX - inset; x += step)
            {
                if (DistanceInside(hull, x, y) >= inset)
                    yield return (x, y);
            }
        }
    }

    /// <summary>Distance from the point to the nearest edge, negative when outside.</summary>
    private static double DistanceInside(List<(double X, double Y)> hull, double x, double y)
    {
        double nearest = double.MaxValue;
        for (int i = 0; i < hull.Count; i++)
        {
            var a = hull[i];
            var b = hull[(i + 1) % hull.Count];
            double length = Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
            // Left of a counter-clockwise edge is inside.
            nearest = Math.Min(nearest, Cross(a, b, (x, y)) / length);
        }
        return nearest;
    }

    private static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) =>
        (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);
}
