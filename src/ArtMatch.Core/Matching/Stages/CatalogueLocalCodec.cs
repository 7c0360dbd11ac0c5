using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>
/// A <see cref="CatalogueLocal"/> as the store keeps it: a header (recipe, sizes, grid), the cell vectors
/// as little-endian float32 (the verification reads the same numbers as a picture described afresh) or
/// float16 (half the bytes, not bit-identical), and the thumbnail's RGB bytes. Cell positions are not
/// stored: they follow from the grid.
/// </summary>
public static class CatalogueLocalCodec
{
    private const uint Magic = 0x4C43_4D41; // "AMCL"
    private const byte Version = 1;
    private const int HeaderBytes = 4 + 1 + 1 + 2 + 10 * 4;

    public static byte[] ToBytes(CatalogueLocal local, bool halfPrecision = false)
    {
        var features = local.Features;
        int values = features.Count * features.Dimension;
        int vectorBytes = values * (halfPrecision ? 2 : 4);
        var thumbnail = local.Thumbnail;
        var bytes = new byte[HeaderBytes + vectorBytes + thumbnail.Pixels.Length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        span[4] = Version;
        span[5] = halfPrecision ? (byte)2 : (byte)4;
        int[] header =
        [
            local.Recipe.DecodeLongSide, local.Recipe.LocalFeatureScale, local.Recipe.ThumbnailLongSide,
            local.Width, local.Height, features.GridWidth, features.GridHeight, features.Dimension, thumbnail.Width, thumbnail.Height,
        ];
        for (int i = 0; i < header.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(span[(8 + 4 * i)..], header[i]);
        var vectors = span.Slice(HeaderBytes, vectorBytes);
        if (halfPrecision)
            TensorPrimitives.ConvertToHalf(features.Vectors.AsSpan(0, values), MemoryMarshal.Cast<byte, Half>(vectors));
        else
            MemoryMarshal.AsBytes(features.Vectors.AsSpan(0, values)).CopyTo(vectors);
        thumbnail.Pixels.CopyTo(span[(HeaderBytes + vectorBytes)..]);
        return bytes;
    }

    /// <exception cref="InvalidDataException">Not a stored <see cref="CatalogueLocal"/>, or cut short.</exception>
    public static CatalogueLocal FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic || bytes[4] != Version || bytes[5] is not (2 or 4))
            throw new InvalidDataException("Not stored local features of a catalogue picture (or of another version).");
        int width = Int(bytes, 3), height = Int(bytes, 4), gridWidth = Int(bytes, 5), gridHeight = Int(bytes, 6), dimension = Int(bytes, 7);
        int thumbWidth = Int(bytes, 8), thumbHeight = Int(bytes, 9);
        if (width < 1 || height < 1 || gridWidth < 1 || gridHeight < 1 || dimension < 1 || thumbWidth < 1 || thumbHeight < 1)
            throw new InvalidDataException("Stored local features with an empty size.");
        long values = (long)gridWidth * gridHeight * dimension;
        long vectorBytes = values * bytes[5];
        long thumbBytes = 3L * thumbWidth * thumbHeight;
        if (bytes.Length != HeaderBytes + vectorBytes + thumbBytes)
            throw new InvalidDataException($"Stored local features of {bytes.Length} bytes, expected {HeaderBytes + vectorBytes + thumbBytes}.");
        var vectors = new float[values];
        var stored = bytes.Slice(HeaderBytes, (int)vectorBytes);
        if (bytes[5] == 2)
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(stored), vectors);
        else
            stored.CopyTo(MemoryMarshal.AsBytes(vectors.AsSpan()));
        var positions = new float[gridWidth * gridHeight * 2];
        // As ImageDescriber.LocalFeaturesOf computes them, so that they are the same floats.
        for (int y = 0; y < gridHeight; y++)
        {
            for (int x = 0; x < gridWidth; x++)
            {
                positions[(y * gridWidth + x) * 2] = (x + 0.5f) / gridWidth;
                positions[(y * gridWidth + x) * 2 + 1] = (y + 0.5f) / gridHeight;
            }
        }
        var thumbnail = new RgbImage(thumbWidth, thumbHeight, bytes.Slice(HeaderBytes + (int)vectorBytes).ToArray());
        var recipe = new CatalogueLocalRecipe(Int(bytes, 0), Int(bytes, 1), Int(bytes, 2));
        return new CatalogueLocal(new LocalFeatures(gridWidth, gridHeight, dimension, vectors, positions), width, height, thumbnail) { Recipe = recipe };
    }

    private static int Int(ReadOnlySpan<byte> bytes, int index) => BinaryPrimitives.ReadInt32LittleEndian(bytes[(8 + 4 * index)..]);
}
