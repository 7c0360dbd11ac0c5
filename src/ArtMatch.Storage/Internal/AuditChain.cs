using System.Security.Cryptography;
using System.Text;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// The audit log's hash chain: each entry's hash is SHA-256 over the previous entry's hash and the
/// entry's own fields, so editing or deleting an entry breaks every hash after it.
/// </summary>
internal static class AuditChain
{
    /// <summary>The "previous hash" of the first entry.</summary>
    public const string Genesis = "artmatch-audit-v1";

    public static string Link(string previous, string at, string? actor, string action, string? objectId, string? detail)
    {
        // Length-prefixed fields, so no two different entries hash the same text.
        var text = new StringBuilder(previous);
        foreach (var field in new[] { at, actor, action, objectId, detail })
            text.Append('\n').Append(field is null ? "-1:" : $"{field.Length}:{field}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
