using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

public class ConvexHullTests
{
    [Fact]
    public void Of_SquareWithInnerPoints_KeepsTheFourCornersCounterClockwise()
    {
        var hull = ConvexHull.Of([(0, 0), (10, 0), (5, 5), (10, 10), (0, 10), (3, 7), (5, 0)]);

        Assert.Equal([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)], hull);
    }

    [Fact]
    public void Of_CollinearPoints_IsNoArea()
    {
        Assert.True(ConvexHull.Of([(0, 0), (1, 1), (2, 2), (3, 3)]).Count < 3);
        Assert.Empty(ConvexHull.PointsInside(ConvexHull.Of([(0, 0), (1, 1), (2, 2)]), inset: 0, step: 1));
    }

    [Fact]
    public void PointsInside_KeepsTheInsetFromEveryEdge()
    {
        var triangle = ConvexHull.Of([(0, 0), (100, 0), (0, 100)]);

        var points = ConvexHull.PointsInside(triangle, inset: 10, step: 5).ToList();

        Assert.NotEmpty(points);
        Assert.All(points, p =>
        {
            Assert.True(p.X >= 10 && p.Y >= 10, $"{p} too close to a leg");
            // Distance to the hypotenuse x + y = 100.
            Assert.True((100 - p.X - p.Y) / Math.Sqrt(2) >= 10 - 1e-9, $"{p} too close to the hypotenuse");
        });
        Assert.Contains(points, p => p.X < 15 && p.Y < 15);
    }
}
