using System.Diagnostics;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.TestSupport;

namespace ArtMatch.Inference.Tests;

/// <summary>
/// Test-only JPEG decoding through python3-pil, so these tests do not depend on the imaging project:
/// short side resized to 256 (bilinear), then the centre cut to the asked size, as ImageNet evaluation does.
/// </summary>
internal static class TestImages
{
    private const string Script = """
        import sys
        from PIL import Image
        path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        image = Image.open(path).convert("RGB")
        scale = 256 / min(image.size) if max(width, height) <= 256 else max(width / image.width, height / image.height)
        image = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))), Image.BILINEAR)
        left, top = (image.width - width) // 2, (image.height - height) // 2
        sys.stdout.buffer.write(image.crop((left, top, left + width, top + height)).tobytes())
        """;

    /// <summary>The dev set's photo of Chelsea the cat (catalogue entry sk-chelsea).</summary>
    public static string Cat => RepoPaths.DevFile("catalog/sk-chelsea/1.jpg");

    public static RgbImage CentreCrop(string path, int width, int height)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", Script, path, width.ToString(), height.ToString() })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var pixels = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(pixels);
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"Decoding {path} with python3-pil failed (apt-get install python3-pil): {error}");
        return new RgbImage(width, height, pixels.ToArray());
    }

    /// <summary>The picture as the model's normalised NCHW input, batch 1.</summary>
    public static float[] Tensor(RgbImage image, ModelInput input)
    {
        var data = new float[3 * image.Width * image.Height];
        TensorBuilder.Fill(image, input, data);
        return data;
    }
}
