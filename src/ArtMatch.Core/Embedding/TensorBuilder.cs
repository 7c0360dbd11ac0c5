using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Embedding;

/// <summary>Turns RGB pixels into the float input a model expects (scale, mean, std, layout, channel order).</summary>
public static class TensorBuilder
{
    /// <summary>
    /// Writes one image into <paramref name="destination"/> (3 * width * height floats). The manifest's
    /// mean and std are in the model's channel order.
    /// </summary>
    public static void Fill(RgbImage image, ModelInput input, Span<float> destination)
    {
        int plane = image.Width * image.Height;
        if (destination.Length != plane * 3)
            throw new ArgumentException($"Destination has {destination.Length} floats, expected {plane * 3}.", nameof(destination));
        bool bgr = input.Channels == "BGR";
        bool interleaved = input.Layout == "NHWC";
        var pixels = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            int source = bgr ? 2 - c : c;
            // (pixel * scale - mean) / std folded into one multiply-add.
            float multiply = input.Scale / input.Std[c];
            float add = -input.Mean[c] / input.Std[c];
            if (interleaved)
            {
                for (int i = 0; i < plane; i++)
                    destination[i * 3 + c] = pixels[i * 3 + source] * multiply + add;
            }
            else
            {
                var channel = destination.Slice(c * plane, plane);
                for (int i = 0; i < plane; i++)
                    channel[i] = pixels[i * 3 + source] * multiply + add;
            }
        }
    }
}
