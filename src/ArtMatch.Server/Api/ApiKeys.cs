using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ArtMatch.Server.Api;

/// <summary>What a key may do; each role includes the ones before it.</summary>
public enum ApiRole
{
    Officer = 0,
    Partner = 1,
    Admin = 2,
}

public sealed record ApiKey(string Key, string Name, ApiRole Role);

/// <summary>
/// API keys from a JSON file: <c>{"keys": [{"key": "...", "name": "customs-lhr-1", "role": "officer"}]}</c>.
/// Calls carry <c>authorization: Bearer &lt;key&gt;</c>; <see cref="ApiKeyInterceptor"/> checks them
/// against the role each method asks for (<see cref="RequiresRoleAttribute"/>).
/// </summary>
public sealed class ApiKeys(IReadOnlyList<ApiKey> keys)
{
    public static ApiKeys Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"API keys file not found: {path}", path);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var keys = new List<ApiKey>();
        foreach (var entry in document.RootElement.GetProperty("keys").EnumerateArray())
        {
            string key = entry.GetProperty("key").GetString() ?? "";
            if (key.Length < 16)
                throw new InvalidDataException($"{path}: every key needs at least 16 characters.");
            string role = entry.GetProperty("role").GetString() ?? "";
            if (!Enum.TryParse<ApiRole>(role, ignoreCase: true, out var parsed))
                throw new InvalidDataException($"{path}: role '{role}' is not officer, partner or admin.");
            keys.Add(new ApiKey(key, entry.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "", parsed));
        }
        return new ApiKeys(keys);
    }

    /// <summary>The key presented, or null when none matches.</summary>
    public ApiKey? Find(string presented)
    {
        var bytes = Encoding.UTF8.GetBytes(presented);
        // Constant-time comparison so response timing does not reveal key prefixes.
        return keys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k.Key), bytes));
    }
}
