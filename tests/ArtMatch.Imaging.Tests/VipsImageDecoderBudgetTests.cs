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
        // the end and return pixels. The first decode also pays for first use, and a loaded machine's
        // speed moves: a decode that returns pixels is made again with the cancel at a fifth of what
        // that one took (it may have ended before its cancel, which proves nothing).
        var bomb = VipsEncoder.Uniform(5000, 5000, VipsEncoder.Format.Tiff);
        var decoder = new VipsImageDecoder();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        decoder.Decode(bomb, DecodeOptions.LongSide(512));
        var full = clock.Elapsed;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using var cancel = new CancellationTokenSource(full / 5);
            clock.Restart();
            try
            {
                decoder.Decode(bomb, DecodeOptions.LongSide(512), cancel.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            full = clock.Elapsed;
        }
        // Without the kill flag every decode runs to its end: the cancel, a fifth of the way in, never stops one.
        Assert.Fail("no decode was stopped by its cancel, each at a fifth of what the one before took");
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
