using System.Runtime.InteropServices;
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

    private static RgbImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i += 3)
            (pixels[i], pixels[i + 1], pixels[i + 2]) = (r, g, b);
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void PasteIntoClutter_ObjectSmallOffCentreAmongTheOtherPictures_SameSeedSameView()
    {
        // The object pure green (its mild retone keeps it green), the clutter red and blue.
        var item = Solid(200, 150, 0, 255, 0);
        var clutter = new[] { Solid(300, 200, 255, 0, 0), Solid(160, 240, 0, 0, 255) };
        int both = 0;
        for (int seed = 0; seed < 12; seed++)
        {
            var view = SyntheticViews.PasteIntoClutter(item, clutter, new Random(seed));
            Assert.Equal(view.Pixels, SyntheticViews.PasteIntoClutter(item, clutter, new Random(seed)).Pixels);
            Assert.Equal(SyntheticViews.ClutterLong, Math.Max(view.Width, view.Height));
            Assert.Equal(SyntheticViews.ClutterShort, Math.Min(view.Width, view.Height));
            // The object: one flat green (the source retoned as a whole), 15-35 % of the frame; noise and tiles rarely repeat a colour exactly.
            var greenish = new Dictionary<(byte, byte, byte), List<(int X, int Y)>>();
            for (int y = 0; y < view.Height; y++)
            {
                for (int x = 0; x < view.Width; x++)
                {
                    int o = (y * view.Width + x) * 3;
                    if (view.Pixels[o + 1] > 150 && view.Pixels[o] < 40 && view.Pixels[o + 2] < 40)
                        (CollectionsMarshal.GetValueRefOrAddDefault(greenish, (view.Pixels[o], view.Pixels[o + 1], view.Pixels[o + 2]), out _) ??= []).Add((x, y));
                }
            }
            var green = greenish.Values.MaxBy(list => list.Count)!;
            double share = green.Count / (double)(view.Width * view.Height);
            Assert.True(share is >= 0.13 and <= 0.37, $"seed {seed}: share {share:F3}");
            double cx = green.Average(p => p.X), cy = green.Average(p => p.Y);
            Assert.False(Math.Abs(cx - view.Width / 2.0) < view.Width * 0.09 && Math.Abs(cy - view.Height / 2.0) < view.Height * 0.09, $"seed {seed}: the object is off-centre");
            // The other pictures lie about the scene (the object may cover a cut-out).
            int red = 0, blue = 0;
            for (int i = 0; i < view.Pixels.Length; i += 3)
            {
                red += view.Pixels[i] == 255 && view.Pixels[i + 1] == 0 && view.Pixels[i + 2] == 0 ? 1 : 0;
                blue += view.Pixels[i] == 0 && view.Pixels[i + 1] == 0 && view.Pixels[i + 2] == 255 ? 1 : 0;
            }
            Assert.True(red > 0 || blue > 0, $"seed {seed}: the clutter pictures are in the scene");
            both += red > 0 && blue > 0 ? 1 : 0;
        }
        Assert.True(both >= 8, $"both clutter pictures in {both} of 12 scenes");
    }

    [Fact]
    public void Make_WithOtherPictures_SomeViewsPastedAmongSeveralAndOnlyThoseDecoded()
    {
        var item = Gradient(120, 90);
        int decoded = 0;
        var others = Enumerable.Range(0, 4).Select(i => (Func<RgbImage>)(() =>
        {
            Interlocked.Increment(ref decoded);
            return Solid(100, 80, (byte)(60 * i), 30, 200);
        })).ToList();
        var used = new List<int>();
        for (int seed = 0; seed < 200; seed++)
        {
            int before = decoded;
            var view = SyntheticViews.Make(item, others, new Random(seed), out int n);
            used.Add(n);
            Assert.Equal(n, decoded - before);
            if (n >= 2)
                Assert.Equal(SyntheticViews.ClutterLong, Math.Max(view.Width, view.Height));
            // A view that pastes nothing is the one it was before the clutter views (calibration's other views unchanged).
            if (n == 0)
                Assert.Equal(SyntheticViews.Make(item, (RgbImage?)null, new Random(seed), out bool _).Pixels, view.Pixels);
        }
        Assert.Contains(used, n => n >= 2);
        Assert.Contains(used, n => n == 1);
        Assert.True(used.Count(n => n == 0) > 150, "most views paste nothing");
    }
}
