using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>How a <see cref="CatalogueLocal"/>'s cell vectors are stored.</summary>
public enum CatalogueLocalEncoding
{
    /// <summary>Byte codes, a scale per cell, zeros left out, the thumbnail predicted and all of it deflated (version 2; what the store writes).</summary>
    Compact,

    /// <summary>Little-endian float32: the same numbers as a picture described afresh (version 1).</summary>
    Float32,

    /// <summary>float16: half of <see cref="Float32"/>'s bytes, not bit-identical (version 1).</summary>
    Float16,
}

/// <summary>
/// A <see cref="CatalogueLocal"/> as the store keeps it: a header (recipe, sizes, grid), then the cell
/// vectors and the thumbnail's RGB bytes, in one of two versions. Version 1 keeps the cells as float32 or
/// float16 and the thumbnail as it is; version 2 (<see cref="CatalogueLocalEncoding.Compact"/>,
/// CatalogueLocalCodec.Compact.cs) about a sixth of that. Both are read. Cell positions are not stored:
/// they follow from the grid.
/// </summary>
public static partial class CatalogueLocalCodec
{
    private const uint Magic = 0x4C43_4D41; // "AMCL"
    private const byte Version = 1;
    private const int HeaderBytes = 4 + 1 + 1 + 2 + 10 * 4;

    public static byte[] ToBytes(CatalogueLocal local, CatalogueLocalEncoding encoding = CatalogueLocalEncoding.Compact)
    {
        if (encoding == CatalogueLocalEncoding.Compact)
            return ToCompactBytes(local);
        bool halfPrecision = encoding == CatalogueLocalEncoding.Float16;
        var features = local.Features;
        int values = features.Count * features.Dimension;
        int vectorBytes = values * (halfPrecision ? 2 : 4);
        var thumbnail = local.Thumbnail;
        var bytes = new byte[HeaderBytes + vectorBytes + thumbnail.Pixels.Length];
        var span = bytes.AsSpan();
        WriteHeader(span, local, Version, halfPrecision ? (byte)2 : (byte)4);
        var vectors = span.Slice(HeaderBytes, vectorBytes);
        if (halfPrecision)
            TensorPrimitives.ConvertToHalf(features.Vectors.AsSpan(0, values), MemoryMarshal.Cast<byte, Half>(vectors));
        else
            MemoryMarshal.AsBytes(features.Vectors.AsSpan(0, values)).CopyTo(vectors);
        thumbnail.Pixels.CopyTo(span[(HeaderBytes + vectorBytes)..]);
        return bytes;
    }

    /// <summary>True for a version-2 (<see cref="CatalogueLocalEncoding.Compact"/>) blob; false for anything else (a version-1 one to be re-encoded).</summary>
    public static bool IsCompact(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= HeaderBytes && BinaryPrimitives.ReadUInt32LittleEndian(bytes) == Magic && bytes[4] == CompactVersion;

    /// <exception cref="InvalidDataException">Not a stored <see cref="CatalogueLocal"/>, or cut short.</exception>
    public static CatalogueLocal FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new InvalidDataException("Not stored local features of a catalogue picture.");
        var header = ReadHeader(bytes);
        if (bytes[4] == CompactVersion)
            return FromCompactBytes(bytes, header);
        if (bytes[4] != Version || bytes[5] is not (2 or 4))
            throw new InvalidDataException("Stored local features of another version.");
        long values = (long)header.GridWidth * header.GridHeight * header.Dimension;
        long vectorBytes = values * bytes[5];
        long thumbBytes = 3L * header.ThumbWidth * header.ThumbHeight;
        if (bytes.Length != HeaderBytes + vectorBytes + thumbBytes)
            throw new InvalidDataException($"Stored local features of {bytes.Length} bytes, expected {HeaderBytes + vectorBytes + thumbBytes}.");
        var vectors = new float[values];
        var stored = bytes.Slice(HeaderBytes, (int)vectorBytes);
        if (bytes[5] == 2)
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(stored), vectors);
        else
            stored.CopyTo(MemoryMarshal.AsBytes(vectors.AsSpan()));
        return header.With(vectors, bytes.Slice(HeaderBytes + (int)vectorBytes).ToArray());
    }

    private static void WriteHeader(Span<byte> span, CatalogueLocal local, byte version, byte kind)
    {
        var features = local.Features;
        var thumbnail = local.Thumbnail;
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        span[4] = version;
        span[5] = kind;
        int[] header =
        [
            local.Recipe.DecodeLongSide, local.Recipe.LocalFeatureScale, local.Recipe.ThumbnailLongSide,
            local.Width, local.Height, features.GridWidth, features.GridHeight, features.Dimension, thumbnail.Width, thumbnail.Height,
        ];
        for (int i = 0; i < header.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(span[(8 + 4 * i)..], header[i]);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> bytes)
    {
        var header = new Header(new CatalogueLocalRecipe(Int(bytes, 0), Int(bytes, 1), Int(bytes, 2)), Int(bytes, 3), Int(bytes, 4),
            Int(bytes, 5), Int(bytes, 6), Int(bytes, 7), Int(bytes, 8), Int(bytes, 9));
        if (header.Width < 1 || header.Height < 1 || header.GridWidth < 1 || header.GridHeight < 1 || header.Dimension < 1 || header.ThumbWidth < 1 || header.ThumbHeight < 1)
            throw new InvalidDataException("Stored local features with an empty size.");
        if ((long)header.GridWidth * header.GridHeight * header.Dimension > Array.MaxLength / 4 || 3L * header.ThumbWidth * header.ThumbHeight > Array.MaxLength)
            throw new InvalidDataException("Stored local features of an impossible size.");
        return header;
    }

    private static int Int(ReadOnlySpan<byte> bytes, int index) => BinaryPrimitives.ReadInt32LittleEndian(bytes[(8 + 4 * index)..]);

    private readonly record struct Header(CatalogueLocalRecipe Recipe, int Width, int Height, int GridWidth, int GridHeight, int Dimension, int ThumbWidth, int ThumbHeight)
    {
        public int Cells => GridWidth * GridHeight;

        public CatalogueLocal With(float[] vectors, byte[] thumbnailPixels)
        {
            var positions = new float[GridWidth * GridHeight * 2];
            // As ImageDescriber.LocalFeaturesOf computes them, so that they are the same floats.
            for (int y = 0; y < GridHeight; y++)
            {
                for (int x = 0; x < GridWidth; x++)
                {
                    positions[(y * GridWidth + x) * 2] = (x + 0.5f) / GridWidth;
                    positions[(y * GridWidth + x) * 2 + 1] = (y + 0.5f) / GridHeight;
                }
            }
            var thumbnail = new RgbImage(ThumbWidth, ThumbHeight, thumbnailPixels);
            return new CatalogueLocal(new LocalFeatures(GridWidth, GridHeight, Dimension, vectors, positions), Width, Height, thumbnail) { Recipe = Recipe };
        }
    }
}
