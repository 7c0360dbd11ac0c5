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

/// <summary>
/// GeM pooling of many windows of one feature map (regional vectors): a summed-area table of
/// max(x, eps)^p per channel makes each window four lookups a channel instead of a pass over its cells.
/// </summary>
/// <remarks>The table (megabytes for a 640 px map) is rented and given back by <see cref="Dispose"/>.</remarks>
public sealed class WindowPooler : IDisposable
{
    private const float Epsilon = 1e-6f;
    private double[] _table;
    private readonly int _channels, _height, _width;
    private readonly float _p;

    public WindowPooler(ReadOnlySpan<float> map, int channels, int height, int width, float p)
    {
        (_channels, _height, _width, _p) = (channels, height, width, p);
        int stride = width + 1, plane = (height + 1) * stride;
        _table = System.Buffers.ArrayPool<double>.Shared.Rent(channels * plane);
        // The zero first row and column are read, never written: a rented array must be cleared.
        _table.AsSpan(0, channels * plane).Clear();
        bool cube = p == 3f;
        for (int c = 0; c < channels; c++)
        {
            var channel = map.Slice(c * height * width, height * width);
            var table = _table.AsSpan(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                double row = 0;
                for (int x = 0; x < width; x++)
                {
                    float v = MathF.Max(channel[y * width + x], Epsilon);
                    row += cube ? v * v * v : MathF.Pow(v, p);
                    table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row;
                }
            }
        }
    }

    /// <summary>GeM over the window [y0,y1) x [x0,x1) into <paramref name="destination"/> (one value a channel).</summary>
    public void Pool(int y0, int y1, int x0, int x1, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_table.Length == 0, this);
        if (y0 < 0 || x0 < 0 || y1 > _height || x1 > _width || y1 <= y0 || x1 <= x0)
            throw new ArgumentOutOfRangeException(nameof(y0), $"Window [{y0},{y1})x[{x0},{x1}) is outside {_height}x{_width}.");
        int stride = _width + 1, plane = (_height + 1) * stride;
        double cells = (y1 - y0) * (x1 - x0);
        for (int c = 0; c < _channels; c++)
        {
            int at = c * plane;
            double sum = _table[at + y1 * stride + x1] - _table[at + y0 * stride + x1] - _table[at + y1 * stride + x0] + _table[at + y0 * stride + x0];
            destination[c] = (float)Math.Pow(Math.Max(sum, 0) / cells, 1.0 / _p);
        }
    }

    /// <summary>Gives the table back; the pooler cannot pool after this.</summary>
    public void Dispose()
    {
        var table = Interlocked.Exchange(ref _table, []);
        if (table.Length > 0)
            System.Buffers.ArrayPool<double>.Shared.Return(table);
    }
}
