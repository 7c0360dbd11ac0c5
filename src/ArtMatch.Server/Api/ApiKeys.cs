using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArtMatch.Grpc;

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
/// Calls carry <c>authorization: Bearer &lt;key&gt;</c>. Officers match and read; partners also
/// enrol; admins also delete.
/// </summary>
public sealed class ApiKeys(IReadOnlyList<ApiKey> keys)
{
    private static readonly Dictionary<string, ApiRole> Required = new(StringComparer.Ordinal)
    {
        ["Match"] = ApiRole.Officer,
        ["ScreenBatch"] = ApiRole.Officer,
        ["GetObject"] = ApiRole.Officer,
        ["SearchObjects"] = ApiRole.Officer,
        ["UpsertObject"] = ApiRole.Partner,
        ["AddImages"] = ApiRole.Partner,
        ["DeleteObject"] = ApiRole.Admin,
    };

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

    /// <summary>The interceptor: UNAUTHENTICATED without a known key, PERMISSION_DENIED when the role is too low.</summary>
    public Task AuthorizeAsync(ServerCallContext context)
    {
        var header = context.GetMetadata("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw new RpcException(StatusCode.Unauthenticated, "Missing API key: send metadata 'authorization: Bearer <key>'.");
        var presented = Encoding.UTF8.GetBytes(header[7..].Trim());
        // Constant-time comparison so response timing does not reveal key prefixes.
        var key = keys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k.Key), presented))
            ?? throw new RpcException(StatusCode.Unauthenticated, "Unknown API key.");
        var required = Required.GetValueOrDefault(context.Method.Name, ApiRole.Admin);
        if (key.Role < required)
            throw new RpcException(StatusCode.PermissionDenied, $"{context.Method.Name} needs the {required.ToString().ToLowerInvariant()} role; key '{key.Name}' is {key.Role.ToString().ToLowerInvariant()}.");
        context.Caller = key.Name;
        return Task.CompletedTask;
    }
}
