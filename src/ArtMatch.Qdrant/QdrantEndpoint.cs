namespace ArtMatch.Qdrant;

/// <summary>
/// A Qdrant server as the <c>--index</c> URL names it: <c>qdrant://host[:port][/collection]</c> for
/// cleartext gRPC, <c>qdrants://…</c> for TLS (http:// and https:// are read the same way). The port is
/// Qdrant's gRPC port, 6334 unless given; the collection, when named, overrides the one derived from the
/// model. The API key never comes from the URL (it would show in process lists and shell history).
/// </summary>
public sealed record QdrantEndpoint(string Host, int Port, bool Tls, string? Collection)
{
    public const int DefaultGrpcPort = 6334;

    /// <summary>The gRPC address the client connects to.</summary>
    public Uri Address => new UriBuilder(Tls ? "https" : "http", Host, Port).Uri;

    public static bool IsQdrantUrl(string? url) =>
        url is not null && (url.StartsWith("qdrant://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("qdrants://", StringComparison.OrdinalIgnoreCase)
                            || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads an index URL; <see cref="ArgumentException"/> saying what a valid one looks like otherwise.</summary>
    public static QdrantEndpoint Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!IsQdrantUrl(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException(
                $"Index '{url}' is not a Qdrant URL: use qdrant://HOST:6334 (gRPC), qdrants://HOST:6334 (gRPC over TLS), optionally /COLLECTION.");
        }
        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query))
            throw new ArgumentException($"Index '{url}': give the API key through QDRANT_API_KEY or the config file's index.api_key, not in the URL.");
        bool tls = uri.Scheme is "qdrants" or "https";
        int port = uri.IsDefaultPort || uri.Port < 0 ? DefaultGrpcPort : uri.Port;
        if (port == 6333)
            throw new ArgumentException($"Index '{url}': 6333 is Qdrant's REST port; ArtMatch talks gRPC, usually on 6334.");
        string path = uri.AbsolutePath.Trim('/');
        string? collection = path.Length == 0 ? null : Uri.UnescapeDataString(path);
        if (collection is not null && !CollectionNames.IsValid(collection))
            throw new ArgumentException($"Index '{url}': '{collection}' is not a valid collection name (letters, digits, '_', '-', '.', at most 255).");
        return new QdrantEndpoint(uri.Host, port, tls, collection);
    }

    public override string ToString() => $"{(Tls ? "qdrants" : "qdrant")}://{Host}:{Port}{(Collection is null ? "" : "/" + Collection)}";
}
