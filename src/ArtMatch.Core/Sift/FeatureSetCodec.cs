using System.Buffers.Binary;

namespace ArtMatch.Core.Sift;

/// <summary>
/// A <see cref="FeatureSet"/> as bytes for the store: 136 bytes a feature (position in 1/16 pixel,
/// size as a half float, angle in 1/65536 turn: 8 bytes; the RootSIFT descriptor: 128 bytes).
/// Layout: "SFT1", width, height, count (int32 LE), the points, then the descriptors.
/// </summary>
public static class FeatureSetCodec
{
    private const int Magic = 0x31544653; // "SFT1"
    private const int HeaderBytes = 16;
    public const int BytesPerFeature = 8 + FeatureSet.DescriptorLength;

    /// <summary>Largest side a point may lie on (1/16 pixel in 16 bits).</summary>
    public const int MaxSide = 4095;

    public static byte[] ToBytes(FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Width > MaxSide || features.Height > MaxSide)
            throw new ArgumentException($"Features of a {features.Width}x{features.Height} picture cannot be stored (sides up to {MaxSide}).", nameof(features));
        var bytes = new byte[HeaderBytes + features.Count * BytesPerFeature];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], features.Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], features.Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], features.Count);
        for (int i = 0; i < features.Count; i++)
        {
            var p = features.Points[i];
            var at = span.Slice(HeaderBytes + i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)Math.Clamp(MathF.Round(p.X * 16), 0, ushort.MaxValue));
            BinaryPrimitives.WriteUInt16LittleEndian(at[2..], (ushort)Math.Clamp(MathF.Round(p.Y * 16), 0, ushort.MaxValue));
            BinaryPrimitives.WriteHalfLittleEndian(at[4..], (Half)p.Size);
            float turn = ((p.Angle % 360) + 360) % 360 / 360;
            BinaryPrimitives.WriteUInt16LittleEndian(at[6..], (ushort)((int)MathF.Round(turn * 65536) & 0xFFFF));
        }
        features.Descriptors.CopyTo(span[(HeaderBytes + features.Count * 8)..]);
        return bytes;
    }

    public static FeatureSet FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadInt32LittleEndian(bytes) != Magic)
            throw new InvalidDataException("Not a stored SIFT feature set (bad header).");
        int width = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]), height = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (count < 0 || width < 1 || height < 1 || bytes.Length != HeaderBytes + (long)count * BytesPerFeature)
            throw new InvalidDataException($"A stored SIFT feature set is truncated or corrupt ({bytes.Length} bytes for {count} features).");
        var points = new FeaturePoint[count];
        for (int i = 0; i < count; i++)
        {
            var at = bytes.Slice(HeaderBytes + i * 8, 8);
            points[i] = new FeaturePoint(
                BinaryPrimitives.ReadUInt16LittleEndian(at) / 16f, BinaryPrimitives.ReadUInt16LittleEndian(at[2..]) / 16f,
                (float)BinaryPrimitives.ReadHalfLittleEndian(at[4..]), BinaryPrimitives.ReadUInt16LittleEndian(at[6..]) * 360f / 65536);
        }
        return new FeatureSet(width, height, points, bytes[(HeaderBytes + count * 8)..].ToArray());
    }
}
