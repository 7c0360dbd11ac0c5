using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArtMatch.Server.Api;

/// <summary>What a key may do; each role includes the ones before it.</summary>
public enum ApiRole
{
    Officer = 0,
    Partner = 1,
    Admin = 2,
}

/// <summary>A key as the server knows it: the SHA-256 of the key (never the key itself), its name and role.</summary>
public sealed record ApiKey(byte[] Sha256, string Name, ApiRole Role);

/// <summary>
/// API keys from a JSON file: <c>{"keys": [{"key_sha256": "hex", "name": "customs-lhr-1", "role": "officer"}]}</c>.
/// Keys are stored hashed (<c>artmatch keys add</c> makes one, prints it once and keeps only its
/// SHA-256; a key is 32 random bytes, so a plain hash is enough). Entries with a plain <c>"key"</c>
/// are still read (hashed on load) so older files keep working. Calls carry
/// <c>authorization: Bearer &lt;key&gt;</c>; <see cref="ApiKeyInterceptor"/> checks them against the
/// role each method asks for (<see cref="RequiresRoleAttribute"/>).
/// </summary>
public sealed class ApiKeys(IReadOnlyList<ApiKey> keys)
{
    public IReadOnlyList<ApiKey> Keys => keys;

    public static ApiKeys Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"API keys file not found: {path}", path);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var loaded = new List<ApiKey>();
        foreach (var entry in document.RootElement.GetProperty("keys").EnumerateArray())
        {
            string name = entry.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            byte[] hash;
            if (entry.TryGetProperty("key_sha256", out var stored))
            {
                try
                {
                    hash = Convert.FromHexString(stored.GetString() ?? "");
                }
                catch (FormatException)
                {
                    hash = [];
                }
                if (hash.Length != 32)
                    throw new InvalidDataException($"{path}: key '{name}' has a key_sha256 that is not 64 hex digits.");
            }
            else
            {
                string key = entry.TryGetProperty("key", out var plain) ? plain.GetString() ?? "" : "";
                if (key.Length < 16)
                    throw new InvalidDataException($"{path}: every key needs at least 16 characters (or a key_sha256 from 'artmatch keys add').");
                hash = Hash(key);
            }
            string role = entry.GetProperty("role").GetString() ?? "";
            if (!Enum.TryParse<ApiRole>(role, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                throw new InvalidDataException($"{path}: role '{role}' is not officer, partner or admin.");
            loaded.Add(new ApiKey(hash, name, parsed));
        }
        return new ApiKeys(loaded);
    }

    /// <summary>The key presented, or null when none matches.</summary>
    public ApiKey? Find(string presented)
    {
        var hash = Hash(presented);
        ApiKey? found = null;
        // Every entry compared in constant time, so response timing says nothing about the keys.
        foreach (var key in keys)
        {
            if (CryptographicOperations.FixedTimeEquals(key.Sha256, hash))
                found = key;
        }
        return found;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>
    /// Makes a new key (32 random bytes, base64url, prefixed "am_"), adds its hash under
    /// <paramref name="name"/> and <paramref name="role"/> to the file at <paramref name="path"/>
    /// (created when missing, readable by its owner only), and returns the key: the only time it exists in full.
    /// </summary>
    public static string Add(string path, string name, ApiRole role)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("Give the key a name (--name): it is who the audit log says made each call.");
        var root = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? new JsonObject() : new JsonObject();
        if (root["keys"] is not JsonArray list)
            root["keys"] = list = [];
        if (list.Any(k => k?["name"]?.GetValue<string>() == name))
            throw new ArgumentException($"{path} already has a key named '{name}'.");
        string key = "am_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        list.Add(new JsonObject
        {
            ["name"] = name,
            ["role"] = role.ToString().ToLowerInvariant(),
            ["key_sha256"] = Convert.ToHexStringLower(Hash(key)),
            ["created"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        });
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
        return key;
    }
}
