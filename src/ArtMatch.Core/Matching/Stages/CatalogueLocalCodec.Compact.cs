using System.Buffers;
using System.IO.Compression;
using System.Numerics.Tensors;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>
/// Version 2 of the stored <see cref="CatalogueLocal"/>: after the header, one deflated block of
/// (1) a float32 scale per cell, (2) each cell as a bitmap of its non-zero codes and those codes, one byte
/// each (value = code * scale: unsigned 0..255 when no value of the picture is negative, as after the
/// model's ReLU, otherwise signed -127..127), (3) the thumbnail as residuals of the median-edge predictor
/// (LOCO-I), lossless. A cell of MobileNetV2's 1280 channels is about 60 % zeros, so the bitmap costs
/// less than the zeros; deflate takes another sixth. The code is the cell's direction to within half a
/// step of 1/255 of its largest value; the colour check reads the very same thumbnail pixels.
/// </summary>
public static partial class CatalogueLocalCodec
{
    private const byte CompactVersion = 2;
    private const byte UnsignedCodes = 0, SignedCodes = 1;

    private static byte[] ToCompactBytes(CatalogueLocal local)
    {
        var features = local.Features;
        int cells = features.Count, dimension = features.Dimension, bitmapBytes = (dimension + 7) / 8;
        var values = features.Vectors.AsSpan(0, cells * dimension);
        bool signed = values.Length > 0 && TensorPrimitives.Min(values) < 0;
        float levels = signed ? 127 : 255;
        var thumbnail = local.Thumbnail.Pixels;
        var payload = new byte[cells * (4 + bitmapBytes + dimension) + thumbnail.Length];
        int at = cells * 4;
        for (int cell = 0; cell < cells; cell++)
        {
            var vector = features.Vector(cell);
            float largest = vector.Length == 0 ? 0 : TensorPrimitives.MaxMagnitude(vector);
            float scale = Math.Abs(largest) / levels;
            BitConverter.TryWriteBytes(payload.AsSpan(4 * cell), scale);
            var bitmap = payload.AsSpan(at, bitmapBytes);
            at += bitmapBytes;
            for (int i = 0; i < dimension && scale > 0; i++)
            {
                int code = (int)MathF.Round(vector[i] / scale);
                if (code == 0)
                    continue;
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
                payload[at++] = signed ? (byte)(sbyte)Math.Clamp(code, -127, 127) : (byte)Math.Clamp(code, 0, 255);
            }
        }
        PredictThumbnail(thumbnail, local.Thumbnail.Width, payload.AsSpan(at, thumbnail.Length));
        at += thumbnail.Length;

        using var output = new MemoryStream();
        var header = new byte[HeaderBytes];
        WriteHeader(header, local, CompactVersion, signed ? SignedCodes : UnsignedCodes);
        output.Write(header);
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            deflate.Write(payload, 0, at);
        return output.ToArray();
    }

    private static CatalogueLocal FromCompactBytes(ReadOnlySpan<byte> bytes, Header header)
    {
        if (bytes[5] is not (UnsignedCodes or SignedCodes))
            throw new InvalidDataException("Stored local features with unknown codes.");
        bool signed = bytes[5] == SignedCodes;
        int cells = header.Cells, dimension = header.Dimension, bitmapBytes = (dimension + 7) / 8;
        int thumbBytes = 3 * header.ThumbWidth * header.ThumbHeight;
        long bound = (long)cells * (4 + bitmapBytes + dimension) + thumbBytes;
        if (bound > Array.MaxLength)
            throw new InvalidDataException("Stored local features of an impossible size.");
        var payload = ArrayPool<byte>.Shared.Rent((int)bound + 1);
        try
        {
            int length = Inflate(bytes[HeaderBytes..], payload, (int)bound + 1);
            if (length > bound)
                throw new InvalidDataException("Stored local features longer than their header says.");
            var vectors = new float[cells * dimension];
            int at = Need(cells * 4, length);
            for (int cell = 0; cell < cells; cell++)
            {
                float scale = BitConverter.ToSingle(payload, 4 * cell);
                var bitmap = payload.AsSpan(at, bitmapBytes);
                at = Need(at + bitmapBytes, length);
                at = ReadCell(bitmap, payload.AsSpan(at, length - at), vectors.AsSpan(cell * dimension, dimension), scale, signed) + at;
            }
            if (length - at != thumbBytes)
                throw new InvalidDataException($"Stored local features with a thumbnail of {length - at} bytes, expected {thumbBytes}.");
            var pixels = new byte[thumbBytes];
            UnpredictThumbnail(payload.AsSpan(at, thumbBytes), header.ThumbWidth, pixels);
            return header.With(vectors, pixels);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <summary>One cell's values from its bitmap and codes (set bits only, a byte of the bitmap at a time); returns the codes read.</summary>
    private static int ReadCell(ReadOnlySpan<byte> bitmap, ReadOnlySpan<byte> codes, Span<float> vector, float scale, bool signed)
    {
        int read = 0;
        for (int b = 0; b < bitmap.Length; b++)
        {
            for (uint bits = bitmap[b]; bits != 0; bits &= bits - 1)
            {
                int i = (b << 3) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                if (read >= codes.Length)
                    throw new InvalidDataException("Stored local features cut short.");
                if (i >= vector.Length)
                    throw new InvalidDataException("Stored local features with a value past the cell's dimension.");
                byte code = codes[read++];
                vector[i] = (signed ? (sbyte)code : code) * scale;
            }
        }
        return read;
    }

    private static int Need(int end, int length) =>
        end <= length ? end : throw new InvalidDataException("Stored local features cut short.");

    /// <summary>Inflates into <paramref name="into"/>; reading up to <paramref name="limit"/> bytes tells a payload longer than the header allows.</summary>
    private static unsafe int Inflate(ReadOnlySpan<byte> deflated, byte[] into, int limit)
    {
        fixed (byte* start = deflated)
        {
            using var input = new UnmanagedMemoryStream(start, deflated.Length);
            using var inflate = new DeflateStream(input, CompressionMode.Decompress);
            int total = 0, read;
            try
            {
                while (total < limit && (read = inflate.Read(into, total, limit - total)) > 0)
                    total += read;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException("Stored local features whose compressed block is damaged.", e);
            }
            return total;
        }
    }

    /// <summary>Residuals of the median-edge predictor, channel by channel (neighbours outside the picture count as 0).</summary>
    private static void PredictThumbnail(ReadOnlySpan<byte> pixels, int width, Span<byte> residuals)
    {
        int row = 3 * width;
        for (int i = 0; i < pixels.Length; i++)
            residuals[i] = (byte)(pixels[i] - Predicted(pixels, row, i, i % row >= 3));
    }

    private static void UnpredictThumbnail(ReadOnlySpan<byte> residuals, int width, Span<byte> pixels)
    {
        // In order: each prediction reads only pixels already restored.
        int row = 3 * width;
        for (int start = 0; start < pixels.Length; start += row)
        {
            for (int i = start; i < start + row; i++)
                pixels[i] = (byte)(residuals[i] + Predicted(pixels, row, i, i - start >= 3));
        }
    }

    private static int Predicted(ReadOnlySpan<byte> pixels, int row, int i, bool left)
    {
        bool up = i >= row;
        int a = left ? pixels[i - 3] : 0, b = up ? pixels[i - row] : 0, c = left && up ? pixels[i - row - 3] : 0;
        if (c >= Math.Max(a, b))
            return Math.Min(a, b);
        if (c <= Math.Min(a, b))
            return Math.Max(a, b);
        return a + b - c;
    }
}
