using System.Numerics.Tensors;

namespace ArtMatch.Core.Embedding;

/// <summary>Pooling of one NCHW feature map (a single batch item) into a vector.</summary>
public static class Pooling
{
    private const float Epsilon = 1e-6f;

    /// <summary>
    /// Generalised mean (GeM) over the window [y0,y1) x [x0,x1) of every channel:
    /// (mean of max(x, eps)^p)^(1/p). p = 1 is average pooling; large p tends to max pooling.
    /// </summary>
    public static void Gem(ReadOnlySpan<float> map, int channels, int height, int width, float p,
        int y0, int y1, int x0, int x1, Span<float> destination)
    {
        if (destination.Length != channels)
            throw new ArgumentException($"Destination has {destination.Length} values, expected {channels}.", nameof(destination));
        if (y0 < 0 || x0 < 0 || y1 > height || x1 > width || y1 <= y0 || x1 <= x0)
            throw new ArgumentOutOfRangeException(nameof(y0), $"Window [{y0},{y1})x[{x0},{x1}) is outside {height}x{width}.");
        int plane = height * width;
        float cells = (y1 - y0) * (x1 - x0);
        bool cube = p == 3f;
        for (int c = 0; c < channels; c++)
        {
            var channel = map.Slice(c * plane, plane);
            float sum = 0;
            for (int y = y0; y < y1; y++)
            {
                var row = channel.Slice(y * width + x0, x1 - x0);
                foreach (float raw in row)
                {
                    float v = MathF.Max(raw, Epsilon);
                    sum += cube ? v * v * v : MathF.Pow(v, p);
                }
            }
            destination[c] = MathF.Pow(sum / cells, 1f / p);
        }
    }

    /// <summary>Plain average over the window (p = 1 without the clamp), the classic global average pool.</summary>
    public static void Average(ReadOnlySpan<float> map, int channels, int height, int width, Span<float> destination)
    {
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            destination[c] = TensorPrimitives.Sum(map.Slice(c * plane, plane)) / plane;
    }

    /// <summary>Scales to unit length; a zero vector stays zero.</summary>
    public static void L2Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
            TensorPrimitives.Divide(vector, norm, vector);
    }
}
