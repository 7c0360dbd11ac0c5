using System.Security.Cryptography;
using System.Text;

namespace ArtMatch.Qdrant.Internal;

/// <summary>
/// Deterministic point ids: a UUID from the SHA-256 of model, object, image and row, so writing the
/// same row again overwrites its point instead of adding one (an import re-run, a resumed export).
/// The object is part of the key because one picture may be catalogued under several objects.
/// </summary>
internal static class PointIds
{
    public static Guid For(string modelId, string objectId, string imageId, int region)
    {
        // Unit separators keep ("ab","c") and ("a","bc") apart.
        var key = Encoding.UTF8.GetBytes($"{modelId}\u001f{objectId}\u001f{imageId}\u001f{region}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(key, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);   // version 8: application-defined (RFC 9562)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);   // RFC variant
        return new Guid(bytes, bigEndian: true);
    }
}
