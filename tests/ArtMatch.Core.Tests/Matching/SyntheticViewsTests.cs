using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

public class SyntheticViewsTests
{
    private static RgbImage Gradient(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 3;
                pixels[o] = (byte)(x * 255 / width);
                pixels[o + 1] = (byte)(y * 255 / height);
                pixels[o + 2] = 128;
            }
        }
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void ScreenPhoto_SameSeed_SameViewWithADarkSurroundAndThePictureInside()
    {
        var source = Gradient(120, 90);

        var view = SyntheticViews.ScreenPhoto(source, new Random(3));

        Assert.Equal(view.Pixels, SyntheticViews.ScreenPhoto(source, new Random(3)).Pixels);
        Assert.Equal((120, 90), (view.Width, view.Height));
        Assert.NotEqual(source.Pixels, view.Pixels);
        // The corner is off the screen (perspective); the centre still shows the picture: red grows left to right.
        Assert.Equal(20, view.Pixels[0]);
        int Red(int x) => view.Pixels[(45 * 120 + x) * 3];
        Assert.True(Enumerable.Range(40, 4).Average(Red) < Enumerable.Range(76, 4).Average(Red), "the picture's left-to-right gradient survives");
    }

    [Fact]
    public void Sideways_TurnedByAQuarterTurnOrMore_SameSeedSameView()
    {
        var source = Gradient(120, 90);
        var shapes = new HashSet<(int, int)>();
        bool turnedWhole = false;
        for (int seed = 0; seed < 40; seed++)
        {
            var view = SyntheticViews.Sideways(source, new Random(seed));
            Assert.Equal(view.Pixels, SyntheticViews.Sideways(source, new Random(seed)).Pixels);
            shapes.Add((Math.Sign(view.Width - view.Height), 0));
            // A crop covering most of the picture turned by one or three quarter turns stands upright.
            turnedWhole |= view.Height > view.Width && view.Height >= 90;
        }
        Assert.True(turnedWhole, "some views are the picture turned on its side");
    }
}
