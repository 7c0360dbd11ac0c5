using ArtMatch.Core.Keypoints;
using static ArtMatch.Core.Keypoints.KeypointDetector;

namespace ArtMatch.Core.Tests.Keypoints;

/// <summary>The FAST-9 scores of every vector tier equal the plain loop's, pixel for pixel.</summary>
public class FastTests
{
    public static TheoryData<string, int> Cases() => new()
    {
        { "painting", 12 }, { "painting", 0 }, { "painting", 40 }, { "noise", 12 }, { "noise", 255 },
        { "extremes", 12 }, { "extremes", 200 }, { "odd", 12 }, { "painting", 300 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastScores_EveryTier_EqualsThePlainLoop(string kind, int threshold)
    {
        var picture = Picture(kind);
        const int border = 15;
        var reference = new int[picture.Width * picture.Height];
        FastScoresReference(picture, threshold, border, reference);
        foreach (var tier in new[] { FastTier.Best, FastTier.Scalar, FastTier.Vector128, FastTier.Vector256 })
        {
            var scores = new int[reference.Length];
            FastScores(picture, threshold, border, scores, tier);
            Assert.True(reference.AsSpan().SequenceEqual(scores), $"{tier} differs from the plain loop ({kind}, threshold {threshold})");
        }
        // The comparison means something only where corners were found (none can pass a threshold past 255).
        if (threshold <= 40)
            Assert.True(reference.Count(v => v > 0) > 100, $"only {reference.Count(v => v > 0)} corners");
    }

    [Fact]
    public void Detect_AfterOtherPictures_GivesTheSameKeypoints()
    {
        // The score planes, pyramid rows and summed-area tables are rented: what another picture left in them must not matter.
        var settings = new KeypointSettings { MaxKeypoints = 800 };
        var first = KeypointDetector.Detect(KeypointTests.Painting(320, 240, seed: 5), settings);
        KeypointDetector.Detect(Picture("noise"), settings);
        KeypointDetector.Detect(KeypointTests.Painting(330, 250, seed: 6), settings);
        var again = KeypointDetector.Detect(KeypointTests.Painting(320, 240, seed: 5), settings);
        Assert.True(first.Count > 100, $"only {first.Count} keypoints");
        Assert.Equal(first.Points, again.Points);
        Assert.Equal(first.Descriptors, again.Descriptors);
    }

    [Theory]
    [InlineData("painting")]
    [InlineData("tiles")]
    public void Ranked_GivesTheOrderOfSortingByResponseRowColumn(string kind)
    {
        // Tiles repeat one pattern, so many corners have the same response and only the position orders them.
        var picture = kind == "tiles"
            ? new GreyImage(96, 96, Enumerable.Range(0, 96 * 96).Select(i => (byte)((i % 96 / 8 + i / 96 / 8) % 2 * 200 + 20)).ToArray())
            : KeypointTests.Painting(203, 157, seed: 3);
        var corners = new List<(int X, int Y)>();
        for (int y = 15; y < picture.Height - 15; y += 2)
        {
            for (int x = 15; x < picture.Width - 15; x += 3)
                corners.Add((x, y));
        }
        var expected = corners.Select(c => (c.X, c.Y, Response: Harris(picture, c.X, c.Y)))
            .OrderByDescending(c => c.Response).ThenBy(c => c.Y).ThenBy(c => c.X).ToList();
        Assert.True(expected.Count - expected.Select(c => c.Response).Distinct().Count() > 10, "too few tied responses to test the tie order");
        Assert.Equal(expected, Ranked(picture, corners));
    }

    /// <summary>Textures where corners are many and near the ends of the byte range (saturation must change no comparison).</summary>
    private static GreyImage Picture(string kind)
    {
        var random = new Random(kind.Length);
        return kind switch
        {
            "painting" => KeypointTests.Painting(203, 157, seed: 3),
            "noise" => new GreyImage(190, 70, Enumerable.Range(0, 190 * 70).Select(_ => (byte)random.Next(256)).ToArray()),
            // Only values near 0 and 255: hi and lo land past the byte's ends.
            "extremes" => new GreyImage(160, 90, Enumerable.Range(0, 160 * 90).Select(_ => (byte)(random.Next(2) == 0 ? random.Next(8) : 248 + random.Next(8))).ToArray()),
            // A width that leaves every kind of tail after the 32- and 16-pixel steps.
            _ => new GreyImage(77, 61, Enumerable.Range(0, 77 * 61).Select(i => (byte)(i * 37 % 251 ^ random.Next(64))).ToArray()),
        };
    }
}
