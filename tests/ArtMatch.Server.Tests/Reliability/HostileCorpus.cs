using System.Text;
using Google.Protobuf;
using Grpc.Core;
using static ArtMatch.Server.Tests.Reliability.HostileFiles;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests.Reliability;

/// <summary>One hostile call: the method, the raw request message, the key it comes with, and the answer expected.</summary>
/// <param name="Message">A part of the status message that tells the caller what to change.</param>
public sealed record HostileCase(string Name, string Method, byte[] Request, string Key, StatusCode Expected, string Message)
{
    public override string ToString() => Name;
}

/// <summary>
/// The hostile corpus, generated from one real photo: bombs per format, too many frames, truncations
/// per format, formats that must not be decoded, huge messages, malformed protobuf, hostile filters
/// and ids, and calls without the role they need. Raw bytes on the wire, so malformed messages get through.
/// </summary>
internal static class HostileCorpus
{
    public const string Bombs = "bombs-key-0123456789";
    public const string Officer = "officer-key-0123456789";
    public const string Admin = "admin-key-012345678901";

    public static IEnumerable<HostileCase> All(byte[] photo) =>
        [.. Bombs_(photo), .. Truncations(photo), .. NotPictures(photo), .. HugeMessages(photo), .. Malformed(), .. HostileFields(photo)];

    private static IEnumerable<HostileCase> Bombs_(byte[] photo)
    {
        const string fullSize = "decoded at full size; send a JPEG";
        yield return Match("bomb: JPEG declaring 60000x60000 (3600 MP)", DeclaringSize(photo, Format.Jpeg, 60000, 60000), StatusCode.ResourceExhausted, "the limit is 150 MP");
        yield return Match("bomb: PNG declaring 20000x20000", DeclaringSize(photo, Format.Png, 20000, 20000), StatusCode.ResourceExhausted, fullSize);
        yield return Match("bomb: WebP declaring 13000x13000 (169 MP)", DeclaringSize(photo, Format.Webp, 13000, 13000), StatusCode.ResourceExhausted, "the limit is 150 MP");
        yield return Match("bomb: deflate TIFF 12000x12000 (144 MP, 0.8 MB)", Tiff144Mp.Value, StatusCode.ResourceExhausted, fullSize);
        yield return Match("bomb: GIF declaring 60000x60000", DeclaringSize(photo, Format.Gif, 60000, 60000), StatusCode.ResourceExhausted, fullSize);
        yield return Match("bomb: AVIF declaring 20000x20000", DeclaringSize(photo, Format.Avif, 20000, 20000), StatusCode.ResourceExhausted, fullSize);
        yield return Match("frames: TIFF of 1001 pages", ManyFrames(Format.Tiff, 1001), StatusCode.ResourceExhausted, "1001 pages or frames; the limit is 1000");
        yield return Match("frames: GIF of 1001 frames", ManyFrames(Format.Gif, 1001), StatusCode.ResourceExhausted, "1001 pages or frames; the limit is 1000");
    }

    private static IEnumerable<HostileCase> Truncations(byte[] photo)
    {
        foreach (var format in Enum.GetValues<Format>())
        {
            foreach (var fraction in new[] { 0.5, 0.05 })
                yield return Match($"truncated: {format} cut to {fraction:P0}", Truncated(photo, format, fraction), StatusCode.InvalidArgument, "damaged or unreadable");
        }
    }

    private static IEnumerable<HostileCase> NotPictures(byte[] photo)
    {
        const string notSupported = "Not a supported image";
        yield return Match("not a picture: SVG with nested entities and a file reference", Svg(), StatusCode.InvalidArgument, notSupported);
        yield return Match("not a picture: PDF holding a JPEG", Pdf(Encode(photo, Format.Jpeg)), StatusCode.InvalidArgument, notSupported);
        yield return Match("not a picture: PPM declaring 30000x30000 (a loader the server blocks)", Ppm(), StatusCode.InvalidArgument, notSupported);
        yield return Match("not a picture: HTML", "<!doctype html><html><body>hello</body></html>"u8.ToArray(), StatusCode.InvalidArgument, notSupported);
        yield return Match("not a picture: 64 KB of random bytes", Random(64 * 1024), StatusCode.InvalidArgument, notSupported);
        yield return Match("not a picture: empty photo", [], StatusCode.InvalidArgument, "photo is empty");
    }

    private static IEnumerable<HostileCase> HugeMessages(byte[] photo)
    {
        yield return Match("huge: a 40 MB photo (over the 32 MB message limit)", Random(40 << 20), StatusCode.ResourceExhausted, "exceeds the maximum");
        yield return new("huge: GetObject with a 1 MB id", "GetObject", new Wire.GetObjectRequest { ObjectId = new string('x', 1 << 20) }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "the limit is 200");
        yield return new("huge: UpsertObject with a 1 MB id", "UpsertObject", new Wire.UpsertObjectRequest { Object = new() { ObjectId = new string('y', 1 << 20) } }.ToByteArray(),
            Admin, StatusCode.InvalidArgument, "the limit is 200");
        yield return new("huge: SearchObjects with 1 MB of text", "SearchObjects", new Wire.SearchObjectsRequest { Text = new string('z', 1 << 20) }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "text is 1048576 characters; the limit is 500");
        var registries = new Wire.Filter();
        registries.Registries.AddRange(Enumerable.Range(0, 50_000).Select(i => $"R{i}"));
        yield return new("huge: Match filter of 50000 registries", "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo), Filter = registries }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "filter.registries has 50000 values; the limit is 100");
        yield return new("huge: SearchObjects filter of 50000 registries", "SearchObjects", new Wire.SearchObjectsRequest { Text = "x", Filter = registries }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "filter.registries has 50000 values; the limit is 100");
        yield return new("huge: top_k of 1000000", "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo), TopK = 1_000_000 }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "top_k must be between 1 and 50");
    }

    private static IEnumerable<HostileCase> Malformed()
    {
        const string unparsed = "could not be parsed as Match's request message";
        yield return Raw("malformed: photo field longer than the message", [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], StatusCode.Internal, unparsed);
        yield return Raw("malformed: varint cut off", [0x18, 0xff, 0xff], StatusCode.Internal, unparsed);
        yield return Raw("malformed: wire type 7", [0x0f, 0x00], StatusCode.Internal, unparsed);
        yield return Raw("malformed: field number 0", [0x02, 0x00], StatusCode.Internal, unparsed);
        yield return Raw("malformed: filter field holding garbage", [0x12, 0x03, 0xff, 0xff, 0xff], StatusCode.Internal, unparsed);
        yield return Raw("malformed: photo sent as a varint (field skipped, photo empty)", [0x08, 0x01], StatusCode.InvalidArgument, "photo is empty");
        yield return new("malformed: GetObject id not UTF-8", "GetObject", [0x0a, 0x03, 0xff, 0xfe, 0xfd], Officer, StatusCode.Internal,
            "could not be parsed as GetObject's request message");
    }

    private static IEnumerable<HostileCase> HostileFields(byte[] photo)
    {
        var unknownStatus = new Wire.Filter();
        unknownStatus.Statuses.Add(Wire.ObjectStatus.Stolen);
        unknownStatus.Statuses.Add((Wire.ObjectStatus)99);
        yield return new("filter: unknown status 99 beside a known one", "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo), Filter = unknownStatus }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "filter.statuses[1] = 99 is not a known value");
        yield return new("filter: negative top_k", "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo), TopK = -1 }.ToByteArray(),
            Officer, StatusCode.InvalidArgument, "top_k must be between");
        yield return new("id: path traversal", "GetObject", new Wire.GetObjectRequest { ObjectId = "../../../../etc/passwd" }.ToByteArray(), Officer, StatusCode.NotFound, "No object");
        yield return new("id: SQL injection", "GetObject", new Wire.GetObjectRequest { ObjectId = "x' OR '1'='1' --" }.ToByteArray(), Officer, StatusCode.NotFound, "No object");
        yield return new("id: control characters", "GetObject", new Wire.GetObjectRequest { ObjectId = "a\u0000b\u001b[2J" }.ToByteArray(), Officer, StatusCode.InvalidArgument,
            "holds control characters");
        yield return new("object: unknown status 7", "UpsertObject", new Wire.UpsertObjectRequest { Object = new() { ObjectId = "HOSTILE-1", Status = (Wire.ObjectStatus)7 } }.ToByteArray(),
            Admin, StatusCode.InvalidArgument, "object.status = 7");
        yield return new("role: DeleteObject with an officer key", "DeleteObject", new Wire.DeleteObjectRequest { ObjectId = "HOSTILE-1" }.ToByteArray(),
            Officer, StatusCode.PermissionDenied, "admin");
        yield return new("role: Match without a key", "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo) }.ToByteArray(),
            "", StatusCode.Unauthenticated, "key");
        yield return new("role: Match with a wrong key", "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo) }.ToByteArray(),
            "not-a-key-0123456789", StatusCode.Unauthenticated, "key");
        yield return new("method: name in another case", "match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo) }.ToByteArray(),
            Officer, StatusCode.Unimplemented, "");
    }

    /// <summary>A Match of <paramref name="photo"/> from the bombs key.</summary>
    private static HostileCase Match(string name, byte[] photo, StatusCode expected, string message) =>
        Raw(name, new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo), TopK = 1 }.ToByteArray(), expected, message);

    /// <summary>A Match request message of exactly these bytes from the bombs key.</summary>
    private static HostileCase Raw(string name, byte[] message, StatusCode expected, string text) => new(name, "Match", message, Bombs, expected, text);

    private static byte[] Random(int length)
    {
        var bytes = new byte[length];
        new Random(16).NextBytes(bytes);
        return bytes;
    }
}
