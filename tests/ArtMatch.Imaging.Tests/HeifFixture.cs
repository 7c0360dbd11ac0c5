using System.Buffers.Binary;
using System.Text;
using ArtMatch.Core.Imaging;

namespace ArtMatch.Imaging.Tests;

/// <summary>
/// Writes HEIF containers by hand (ISO/IEC 23008-12 boxes) from AVIF files libvips made, for what
/// libvips' heifsave cannot make: a file whose embedded thumbnail shows a different picture from its
/// primary image, and a file that claims HEVC (the bundled libvips has no HEVC codec to make one).
/// </summary>
internal static class HeifFixture
{
    /// <summary>A HEIF whose primary item is <paramref name="primaryAvif"/>'s picture and whose 'thmb' item is <paramref name="thumbnailAvif"/>'s.</summary>
    public static byte[] WithThumbnail(byte[] primaryAvif, byte[] thumbnailAvif) =>
        Compose("avif", ["avif", "mif1", "miaf"], [ReadPrimary(primaryAvif), ReadPrimary(thumbnailAvif)]);

    /// <summary>
    /// <paramref name="avif"/>'s picture relabelled as HEVC (item type hvc1, an hvcC in place of the
    /// av1C): what an iPhone HEIC looks like to a header reader. Its coded data is not HEVC.
    /// </summary>
    public static byte[] ClaimingHevc(byte[] avif)
    {
        var item = ReadPrimary(avif);
        var properties = item.Properties.Select(p => Encoding.ASCII.GetString(p, 4, 4) == "av1C" ? MinimalHvcC() : p).ToList();
        return Compose("heic", ["heic", "mif1"], [item with { Type = "hvc1", Properties = properties }]);
    }

    public static RgbImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = r;
            pixels[i + 1] = g;
            pixels[i + 2] = b;
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>One coded picture: item type, coded bytes, its property boxes (whole) and which of them it uses (1-based, essential flag).</summary>
    private sealed record Item(string Type, byte[] Data, List<byte[]> Properties, List<(bool Essential, int Index)> Associations);

    private readonly record struct Box(string Type, int Start, int Body, int End);

    private static Item ReadPrimary(byte[] file)
    {
        var meta = Children(file, 0, file.Length).Single(b => b.Type == "meta");
        var boxes = Children(file, meta.Body + 4, meta.End);
        int primary = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(boxes.Single(b => b.Type == "pitm").Body + 4));
        var iinf = boxes.Single(b => b.Type == "iinf");
        var infe = Children(file, iinf.Body + 4 + (file[iinf.Body] == 0 ? 2 : 4), iinf.End)
            .Single(b => BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(b.Body + 4)) == primary);
        string type = Encoding.ASCII.GetString(file, infe.Body + 8, 4);
        var iprp = Children(file, boxes.Single(b => b.Type == "iprp").Body, boxes.Single(b => b.Type == "iprp").End);
        var ipco = iprp.Single(b => b.Type == "ipco");
        var properties = Children(file, ipco.Body, ipco.End).Select(b => file[b.Start..b.End]).ToList();
        return new Item(type, ReadData(file, boxes.Single(b => b.Type == "iloc"), primary), properties,
            ReadAssociations(file, iprp.Single(b => b.Type == "ipma"), primary));
    }

    private static byte[] ReadData(byte[] file, Box iloc, int itemId)
    {
        var data = file.AsSpan(iloc.Body, iloc.End - iloc.Body);
        int version = data[0], offsetSize = data[4] >> 4, lengthSize = data[4] & 15, baseSize = data[5] >> 4;
        int indexSize = version > 0 ? data[5] & 15 : 0;
        int at = 6;
        int count = version < 2 ? Read(data, ref at, 2) : Read(data, ref at, 4);
        for (int i = 0; i < count; i++)
        {
            int id = version < 2 ? Read(data, ref at, 2) : Read(data, ref at, 4);
            int method = version > 0 ? Read(data, ref at, 2) & 15 : 0;
            at += 2; // data_reference_index
            long baseOffset = Read(data, ref at, baseSize);
            int extents = Read(data, ref at, 2);
            var bytes = new List<byte>();
            for (int e = 0; e < extents; e++)
            {
                at += indexSize;
                long offset = baseOffset + Read(data, ref at, offsetSize);
                int length = Read(data, ref at, lengthSize);
                if (id == itemId)
                {
                    if (method != 0)
                        throw new NotSupportedException("Only items stored in the file's mdat are read (construction method 0).");
                    bytes.AddRange(file.AsSpan((int)offset, length).ToArray());
                }
            }
            if (id == itemId)
                return [.. bytes];
        }
        throw new InvalidDataException($"iloc has no item {itemId}.");
    }

    private static List<(bool, int)> ReadAssociations(byte[] file, Box ipma, int itemId)
    {
        var data = file.AsSpan(ipma.Body, ipma.End - ipma.Body);
        int version = data[0];
        bool wide = (data[3] & 1) != 0;
        int at = 4;
        int entries = Read(data, ref at, 4);
        for (int i = 0; i < entries; i++)
        {
            int id = Read(data, ref at, version < 1 ? 2 : 4);
            int count = Read(data, ref at, 1);
            var associations = new List<(bool, int)>();
            for (int a = 0; a < count; a++)
            {
                int value = Read(data, ref at, wide ? 2 : 1);
                int flag = wide ? 0x8000 : 0x80;
                associations.Add(((value & flag) != 0, value & (flag - 1)));
            }
            if (id == itemId)
                return associations;
        }
        throw new InvalidDataException($"ipma has no item {itemId}.");
    }

    /// <summary>Item 1 is primary; item 2, when given, is its thumbnail.</summary>
    private static byte[] Compose(string brand, string[] compatible, IReadOnlyList<Item> items)
    {
        var ftyp = Make("ftyp", Ascii(brand), U32(0), [.. compatible.SelectMany(Ascii)]);
        byte[] Meta(int dataStart)
        {
            var properties = new List<byte[]>();
            var ipma = new List<byte>(U32(items.Count));
            var iloc = new List<byte> { 0x44, 0x00 };
            iloc.AddRange(U16(items.Count));
            int offset = dataStart;
            for (int i = 0; i < items.Count; i++)
            {
                int first = properties.Count;
                properties.AddRange(items[i].Properties);
                ipma.AddRange(U16(i + 1));
                ipma.Add((byte)items[i].Associations.Count);
                foreach (var (essential, index) in items[i].Associations)
                    ipma.Add((byte)((essential ? 0x80 : 0) | (index + first)));
                iloc.AddRange([.. U16(i + 1), .. U16(0), .. U16(1), .. U32(offset), .. U32(items[i].Data.Length)]);
                offset += items[i].Data.Length;
            }
            var parts = new List<byte[]>
            {
                Full("hdlr", 0, U32(0), Ascii("pict"), U32(0), U32(0), U32(0), [0]),
                Full("pitm", 0, U16(1)),
                Full("iinf", 0, U16(items.Count), [.. items.SelectMany((item, i) => Full("infe", 2, U16(i + 1), U16(0), Ascii(item.Type), [0]))]),
            };
            if (items.Count > 1)
                parts.Add(Full("iref", 0, Make("thmb", U16(2), U16(1), U16(1))));
            parts.Add(Make("iprp", Make("ipco", [.. properties.SelectMany(p => p)]), Full("ipma", 0, [.. ipma])));
            parts.Add(Full("iloc", 0, [.. iloc]));
            return Full("meta", 0, [.. parts.SelectMany(p => p)]);
        }
        int metaLength = Meta(0).Length;
        var meta = Meta(ftyp.Length + metaLength + 8);
        return [.. ftyp, .. meta, .. Make("mdat", [.. items.SelectMany(i => i.Data)])];
    }

    /// <summary>An HEVC decoder configuration (Main profile, 8-bit 4:2:0) without parameter sets.</summary>
    private static byte[] MinimalHvcC() =>
        Make("hvcC", [1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 90, 0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F, 0]);

    private static List<Box> Children(byte[] file, int start, int end)
    {
        var boxes = new List<Box>();
        for (int at = start; at + 8 <= end;)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
            int header = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(at + 8));
                header = 16;
            }
            else if (size == 0)
                size = end - at;
            boxes.Add(new Box(Encoding.ASCII.GetString(file, at + 4, 4), at, at + header, at + (int)size));
            at += (int)size;
        }
        return boxes;
    }

    private static int Read(ReadOnlySpan<byte> data, ref int at, int bytes)
    {
        long value = 0;
        for (int i = 0; i < bytes; i++)
            value = (value << 8) | data[at + i];
        at += bytes;
        return checked((int)value);
    }

    private static byte[] Make(string type, params byte[][] parts)
    {
        int length = 8 + parts.Sum(p => p.Length);
        return [.. U32(length), .. Ascii(type), .. parts.SelectMany(p => p)];
    }

    private static byte[] Full(string type, byte version, params byte[][] parts) => Make(type, [version, 0, 0, 0], [.. parts.SelectMany(p => p)]);

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] U32(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
