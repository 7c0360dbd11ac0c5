using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Tests.Imaging;

public class ImageOpsTests
{
    private static RgbImage Gradient(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = (y * width + x) * 3;
                pixels[p] = (byte)(x * 255 / Math.Max(1, width - 1));
                pixels[p + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                pixels[p + 2] = 100;
            }
        }
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void Crop_CopiesTheRectangle()
    {
        var image = Gradient(10, 8);
        var crop = ImageOps.Crop(image, new PixelRect(2, 3, 4, 2));
        Assert.Equal(4, crop.Width);
        Assert.Equal(2, crop.Height);
        Assert.Equal(image.Pixels[(3 * 10 + 2) * 3], crop.Pixels[0]);
        Assert.Equal(image.Pixels[(4 * 10 + 5) * 3 + 1], crop.Pixels[(1 * 4 + 3) * 3 + 1]);
    }

    [Fact]
    public void TurnClockwise_QuarterTurn_MovesTheTopLeftCornerToTheTopRight()
    {
        // 3 x 2 picture whose red channel numbers the pixels row by row: 0 1 2 / 3 4 5.
        var pixels = new byte[3 * 2 * 3];
        for (int i = 0; i < 6; i++)
            pixels[i * 3] = (byte)i;
        var picture = new RgbImage(3, 2, pixels);

        var turned = ImageOps.TurnClockwise(picture, 1);

        Assert.Equal((2, 3), (turned.Width, turned.Height));
        // Turned clockwise: rows become 3 0 / 4 1 / 5 2.
        Assert.Equal([3, 0, 4, 1, 5, 2], Enumerable.Range(0, 6).Select(i => (int)turned.Pixels[i * 3]));
        Assert.Equal([5, 4, 3, 2, 1, 0], Enumerable.Range(0, 6).Select(i => (int)ImageOps.TurnClockwise(picture, 2).Pixels[i * 3]));
        Assert.Equal(picture.Pixels, ImageOps.TurnClockwise(ImageOps.TurnClockwise(picture, 3), 1).Pixels);
        Assert.Same(picture, ImageOps.TurnClockwise(picture, 4));
    }

    [Fact]
    public void Crop_OutsideImage_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageOps.Crop(Gradient(4, 4), new PixelRect(2, 2, 3, 1)));

    [Fact]
    public void Resize_UniformColour_StaysUniform()
    {
        var pixels = Enumerable.Repeat((byte)77, 37 * 23 * 3).ToArray();
        var image = new RgbImage(37, 23, pixels);
        foreach (var (w, h) in new[] { (10, 7), (80, 50), (37, 5) })
        {
            var resized = ImageOps.Resize(image, w, h);
            Assert.Equal(w * h * 3, resized.Pixels.Length);
            Assert.All(resized.Pixels, value => Assert.Equal(77, value));
        }
    }

    [Fact]
    public void Resize_Shrink_AveragesTheFootprint()
    {
        // A 4x1 image of 0,100,200,40 shrunk by two: pixel pairs are averaged.
        var image = new RgbImage(4, 1, [0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40]);
        var resized = ImageOps.Resize(image, 2, 1);
        Assert.Equal(50, resized.Pixels[0]);
        Assert.Equal(120, resized.Pixels[3]);
    }

    [Fact]
    public void Resize_KeepsGradientDirection()
    {
        var resized = ImageOps.Resize(Gradient(100, 60), 25, 15);
        Assert.True(resized.Pixels[(7 * 25 + 24) * 3] > resized.Pixels[(7 * 25 + 0) * 3] + 200);
        Assert.True(resized.Pixels[(14 * 25 + 3) * 3 + 1] > resized.Pixels[(0 * 25 + 3) * 3 + 1] + 200);
    }

    [Fact]
    public void RegionGrid_CoversThePictureWithSquaresInside()
    {
        var squares = RegionGrid.Squares(640, 480, [1f, 0.5f]).ToList();
        Assert.All(squares, s => Assert.True(s.X >= 0 && s.Y >= 0 && s.Right <= 640 && s.Bottom <= 480 && s.Width == s.Height));
        Assert.Contains(squares, s => s.Width == 480 && s.X == 0);
        Assert.Contains(squares, s => s.Width == 480 && s.Right == 640);
        Assert.Contains(squares, s => s.Width == 240 && s.Right == 640 && s.Bottom == 480);
    }

    [Fact]
    public void TensorBuilder_Nchw_AppliesScaleMeanStd()
    {
        var image = new RgbImage(1, 1, [255, 0, 128]);
        var input = new ModelInput { Name = "input" };
        var tensor = new float[3];
        TensorBuilder.Fill(image, input, tensor);
        Assert.Equal((1f - 0.485f) / 0.229f, tensor[0], 4);
        Assert.Equal((0f - 0.456f) / 0.224f, tensor[1], 4);
        Assert.Equal((128f / 255f - 0.406f) / 0.225f, tensor[2], 4);
    }

    [Fact]
    public void TensorBuilder_NhwcBgr_ReordersChannels()
    {
        var image = new RgbImage(2, 1, [10, 20, 30, 40, 50, 60]);
        var input = new ModelInput { Name = "x", Layout = "NHWC", Channels = "BGR", Scale = 1, Mean = [0, 0, 0], Std = [1, 1, 1] };
        var tensor = new float[6];
        TensorBuilder.Fill(image, input, tensor);
        Assert.Equal([30f, 20f, 10f, 60f, 50f, 40f], tensor);
    }
}
