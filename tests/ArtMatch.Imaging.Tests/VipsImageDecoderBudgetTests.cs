using ArtMatch.Core.Imaging;
using ArtMatch.Imaging.Internal;
using static ArtMatch.Imaging.Tests.TestImages;

namespace ArtMatch.Imaging.Tests;

/// <summary>The decode budget by format (pixels, frames) and cancellation that stops a decode in progress.</summary>
[Collection(LibvipsErrorBuffer.Name)]
public class VipsImageDecoderBudgetTests
{
    [Theory]
    [InlineData("png")]
    [InlineData("tiff")]
    [InlineData("gif")]
    public void Decode_FullSizeFormatOverItsLowerLimit_RefusedNamingTheFormat(string name)
    {
        var decoder = new VipsImageDecoder(new VipsDecoderOptions { MaxPixelsWithoutShrinkOnLoad = 100 * 100 });
        var picture = VipsEncoder.Uniform(120, 120, Enum.Parse<VipsEncoder.Format>(name, ignoreCase: true));

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(picture, DecodeOptions.LongSide(64)));

        Assert.Equal(ImageErrorKind.TooLarge, error.Kind);
        Assert.Contains("120x120", error.Message);
        Assert.Contains("decoded at full size", error.Message);
    }

    [Fact]
    public void Decode_JpegOverTheFullSizeLimit_StillDecodes()
    {
        var decoder = new VipsImageDecoder(new VipsDecoderOptions { MaxPixelsWithoutShrinkOnLoad = 100 * 100 });

        var image = decoder.Decode(DevJpeg(), DecodeOptions.LongSide(64));

        Assert.Equal(64, Math.Max(image.Width, image.Height));
    }

    [Fact]
    public void Decode_MorePagesThanTheLimit_Refused()
    {
        var decoder = new VipsImageDecoder(new VipsDecoderOptions { MaxFrames = 2 });
        var animated = VipsEncoder.Uniform(16, 16, VipsEncoder.Format.Tiff, frames: 3);

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(animated, DecodeOptions.LongSide(16)));

        Assert.Equal(ImageErrorKind.TooLarge, error.Kind);
        Assert.Contains("3 pages or frames", error.Message);
    }

    [Fact]
    public void Decode_CancelledMidway_StopsWithOperationCanceled()
    {
        // 25 MP of deflate TIFF. The cancel comes at a fifth of this machine's own full decode, so it
        // lands inside the decode on a fast machine too; without the kill flag the decode would run to
        // the end and return pixels.
        var bomb = VipsEncoder.Uniform(5000, 5000, VipsEncoder.Format.Tiff);
        var decoder = new VipsImageDecoder();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        decoder.Decode(bomb, DecodeOptions.LongSide(512));
        using var cancel = new CancellationTokenSource(clock.Elapsed / 5);

        Assert.ThrowsAny<OperationCanceledException>(() => decoder.Decode(bomb, DecodeOptions.LongSide(512), cancel.Token));
    }

    [Fact]
    public void Decode_AlreadyCancelled_DoesNotStart()
    {
        var decoder = new VipsImageDecoder();

        Assert.ThrowsAny<OperationCanceledException>(() => decoder.Decode(DevJpeg(), DecodeOptions.LongSide(64), new CancellationToken(true)));
    }

    [Fact]
    public void Decode_NotCancelled_DecodesAsWithoutAToken()
    {
        var decoder = new VipsImageDecoder();
        using var cancel = new CancellationTokenSource();

        var withToken = decoder.Decode(DevJpeg(), DecodeOptions.LongSide(128), cancel.Token);
        var without = decoder.Decode(DevJpeg(), DecodeOptions.LongSide(128));

        Assert.Equal(0, MeanAbsDiff(withToken, without));
    }
}
