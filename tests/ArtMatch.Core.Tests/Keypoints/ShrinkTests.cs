using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Tests.Keypoints;

/// <summary>The pyramid's shrink (pointers, eight columns per vector) gives the plain loops' pixels exactly.</summary>
public class ShrinkTests
{
    [Theory]
    [InlineData(640, 480, 1.2f)]
    [InlineData(640, 480, 3.6f)]
    [InlineData(333, 97, 1.44f)]
    [InlineData(21, 13, 2f)]
    [InlineData(9, 5, 1.05f)]
    public void Shrink_GivesThePlainLoopsPixels(int width, int height, float factor)
    {
        // A painting where it has room for shapes, random pixels in the tiny ones (every tap weighs in).
        var picture = width * height >= 3000 ? KeypointTests.Painting(width, height, seed: width + height)
            : new GreyImage(width, height, Enumerable.Range(0, width * height).Select(i => (byte)(i * 37 % 251)).ToArray());
        int w = (int)Math.Round(width / factor), h = (int)Math.Round(height / factor);
        var fast = picture.Shrink(w, h);
        var plain = picture.ShrinkReference(w, h);
        Assert.Equal((w, h), (fast.Width, fast.Height));
        Assert.Equal(plain.Pixels, fast.Pixels);
        Assert.Contains(fast.Pixels, v => v != fast.Pixels[0]);
    }
}
