using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching;

public class ColourCheckTests
{
    private const int Size = 200, Grid = 10;

    /// <summary>
    /// A disc on a plain background, the way coins are photographed, with some shading and the
    /// per-channel noise of a colour camera.
    /// </summary>
    private static RgbImage Disc((byte R, byte G, byte B) metal, (byte R, byte G, byte B) background, Func<byte, byte, byte, (byte, byte, byte)>? edit = null)
    {
        var pixels = new byte[Size * Size * 3];
        var noise = new Random(3);
        byte Noisy(double value) => (byte)Math.Clamp(value + noise.Next(-6, 7), 0, 255);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                bool inside = (x - 100) * (x - 100) + (y - 100) * (y - 100) < 90 * 90;
                var (r, g, b) = inside ? metal : background;
                double shade = inside ? 0.85 + 0.15 * Math.Sin(x * 0.3) * Math.Cos(y * 0.2) : 1;
                (r, g, b) = (Noisy(r * shade), Noisy(g * shade), Noisy(b * shade));
                if (edit is not null)
                    (r, g, b) = edit(r, g, b);
                int p = (y * Size + x) * 3;
                (pixels[p], pixels[p + 1], pixels[p + 2]) = (r, g, b);
            }
        }
        return new RgbImage(Size, Size, pixels);
    }

    private static readonly (byte, byte, byte) Gold = (200, 160, 60), Silver = (180, 180, 178), White = (245, 245, 245);

    /// <summary>
    /// Features of a 10 x 10 grid (their values do not matter here) and a verification pairing each
    /// cell on the disc with itself: the object's cells are the ones whose features match.
    /// </summary>
    private static (LocalFeatures Features, Verification Verification) IdentityMatch(double scale = 1)
    {
        var features = new LocalFeatures(Grid, Grid, 1, new float[Grid * Grid], new float[Grid * Grid * 2]);
        var pairs = Enumerable.Range(0, Grid * Grid)
            .Where(i => Math.Pow((i % Grid + 0.5) * Size / Grid - 100, 2) + Math.Pow((i / Grid + 0.5) * Size / Grid - 100, 2) < 90 * 90)
            .Select(i => (i, i)).ToList();
        var verification = new Verification(pairs.Count, pairs.Count, (float)scale)
        {
            InlierPairs = pairs,
            Transform = new SimilarityTransform(scale, 0, 0, 0),
        };
        return (features, verification);
    }

    private static float? Shift(RgbImage query, RgbImage candidate)
    {
        var (features, verification) = IdentityMatch();
        return ColourCheck.Shift(new PictureFrame(query), new PictureFrame(candidate), features, Size, Size, verification);
    }

    [Fact]
    public void Shift_GoldAgainstSilverOfOneDesign_IsBeyondTheDefaultBound()
    {
        float? shift = Shift(Disc(Gold, White), Disc(Silver, White));

        Assert.NotNull(shift);
        Assert.True(shift > new MatchSettings().MaxColourShift, $"shift {shift}");
    }

    [Fact]
    public void Shift_SamePictureUnderAWarmWhiteBalance_StaysWellInside()
    {
        static (byte, byte, byte) Warm(byte r, byte g, byte b) => ((byte)Math.Min(255, r * 1.2), g, (byte)(b * 0.8));

        float? shift = Shift(Disc(Gold, White, Warm), Disc(Gold, White));

        Assert.NotNull(shift);
        Assert.True(shift < 0.3f, $"shift {shift}");
    }

    [Fact]
    public void Shift_GreyscalePhotoOfAColouredObject_Abstains()
    {
        static (byte, byte, byte) Grey(byte r, byte g, byte b)
        {
            byte v = (byte)(0.299 * r + 0.587 * g + 0.114 * b);
            return (v, v, v);
        }

        Assert.Null(Shift(Disc(Gold, White, Grey), Disc(Gold, White)));
    }

    [Fact]
    public void Shift_SameGreyObjectOnAnotherBackground_IsNotAColourMismatch()
    {
        // Grey stone photographed on grass, catalogued on white: only the rim of the matched area differs.
        float? shift = Shift(Disc(Silver, (60, 160, 50)), Disc(Silver, White));

        Assert.True(shift is null || shift < 0.3f, $"shift {shift}");
    }

    [Fact]
    public void Shift_FollowsTheTransform()
    {
        // The photo shows the catalogue picture at half size in its top-left corner, on red.
        var candidate = Disc(Gold, White);
        var query = ImageOps.Resize(candidate, Size / 2, Size / 2);
        var canvas = new byte[Size * Size * 3];
        for (int i = 0; i < canvas.Length; i += 3)
            (canvas[i], canvas[i + 1], canvas[i + 2]) = (220, 30, 30);
        for (int y = 0; y < Size / 2; y++)
            Array.Copy(query.Pixels, y * (Size / 2) * 3, canvas, y * Size * 3, Size / 2 * 3);
        var (features, verification) = IdentityMatch(scale: 0.5);

        float? shift = ColourCheck.Shift(new PictureFrame(new RgbImage(Size, Size, canvas)), new PictureFrame(candidate), features, Size, Size, verification);

        Assert.NotNull(shift);
        Assert.True(shift < 0.1f, $"shift {shift}");
    }
}
