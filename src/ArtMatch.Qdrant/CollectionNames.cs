using System.Security.Cryptography;
using System.Text;

namespace ArtMatch.Qdrant;

/// <summary>One collection per model: its name carries the model id and the dimension, so two models never share vectors.</summary>
public static class CollectionNames
{
    private const int MaxLength = 255;

    /// <summary>
    /// <c>artmatch_{model}_{dimension}d</c> with every character outside [A-Za-z0-9_.-] turned into '_';
    /// when that lost information (or the name is too long) a short hash of the exact model id follows,
    /// so two model ids never map to one name.
    /// </summary>
    public static string For(string modelId, int dimension)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        var safe = new StringBuilder(modelId.Length);
        foreach (char c in modelId)
            safe.Append(IsAllowed(c) ? c : '_');
        string name = $"artmatch_{safe}_{dimension}d";
        if (safe.ToString() == modelId && name.Length <= MaxLength)
            return name;
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelId)))[..10];
        string head = safe.Length > 200 ? safe.ToString()[..200] : safe.ToString();
        return $"artmatch_{head}_{hash}_{dimension}d";
    }

    public static bool IsValid(string name) => name.Length is > 0 and <= MaxLength && name.All(IsAllowed);

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';
}
