using System.Buffers.Binary;

namespace ArtMatch.Core.Keypoints;

/// <summary>
/// A corner found in a picture: where (pixels of the picture it was detected in), at what pyramid
/// scale (1 = full size; 2 = found in the copy shrunk by half, so it covers twice the pixels), and
/// which way its patch points (radians), so that two matching keypoints also say how much one
/// picture is scaled and turned against the other.
/// </summary>
public readonly record struct Keypoint(float X, float Y, float Scale, float Angle);

/// <summary>The keypoints of one picture and their 256-bit binary descriptors (four words each, in keypoint order).</summary>
public sealed class KeypointSet
{
    public const int DescriptorWords = 4;

    public KeypointSet(int width, int height, Keypoint[] points, ulong[] descriptors)
    {
        if (descriptors.Length != points.Length * DescriptorWords)
            throw new ArgumentException($"Expected {points.Length * DescriptorWords} descriptor words for {points.Length} keypoints, got {descriptors.Length}.", nameof(descriptors));
        Width = width;
        Height = height;
        Points = points;
        Descriptors = descriptors;
    }

    /// <summary>Size of the picture the keypoints were found in (positions are in its pixels).</summary>
    public int Width { get; }
    public int Height { get; }

    public Keypoint[] Points { get; }
    public ulong[] Descriptors { get; }

    public int Count => Points.Length;

    public ReadOnlySpan<ulong> Descriptor(int index) => Descriptors.AsSpan(index * DescriptorWords, DescriptorWords);

    public static KeypointSet Empty(int width, int height) => new(width, height, [], []);

    private const byte FormatVersion = 1;
    private const int HeaderBytes = 1 + 3 * 4;
    private const int PointBytes = 4 * 4 + DescriptorWords * 8;

    /// <summary>Compact little-endian form for storage: version, size, count, then per keypoint its four floats and descriptor.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderBytes + Count * PointBytes];
        var span = bytes.AsSpan();
        span[0] = FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[5..], Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], Count);
        int at = HeaderBytes;
        for (int i = 0; i < Count; i++)
        {
            var p = Points[i];
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], p.X);
            BinaryPrimitives.WriteSingleLittleEndian(span[(at + 4)..], p.Y);
            BinaryPrimitives.WriteSingleLittleEndian(span[(at + 8)..], p.Scale);
            BinaryPrimitives.WriteSingleLittleEndian(span[(at + 12)..], p.Angle);
            at += 16;
            for (int w = 0; w < DescriptorWords; w++, at += 8)
                BinaryPrimitives.WriteUInt64LittleEndian(span[at..], Descriptors[i * DescriptorWords + w]);
        }
        return bytes;
    }

    public static KeypointSet FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || bytes[0] != FormatVersion)
            throw new InvalidDataException("Not a keypoint set of a known format version.");
        int width = BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]);
        int height = BinaryPrimitives.ReadInt32LittleEndian(bytes[5..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[9..]);
        if (count < 0 || bytes.Length != HeaderBytes + (long)count * PointBytes)
            throw new InvalidDataException($"A keypoint set of {count} keypoints cannot be {bytes.Length} bytes long.");
        var points = new Keypoint[count];
        var descriptors = new ulong[count * DescriptorWords];
        int at = HeaderBytes;
        for (int i = 0; i < count; i++)
        {
            points[i] = new Keypoint(
                BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]),
                BinaryPrimitives.ReadSingleLittleEndian(bytes[(at + 4)..]),
                BinaryPrimitives.ReadSingleLittleEndian(bytes[(at + 8)..]),
                BinaryPrimitives.ReadSingleLittleEndian(bytes[(at + 12)..]));
            at += 16;
            for (int w = 0; w < DescriptorWords; w++, at += 8)
                descriptors[i * DescriptorWords + w] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
        }
        return new KeypointSet(width, height, points, descriptors);
    }
}
