namespace ArtMatch.Server.Hosting;

public sealed record ServerSettings
{
    public int Port { get; init; } = 50051;

    /// <summary>PEM certificate and key; with both, the port speaks TLS (HTTP/2 and HTTP/1.1 by ALPN).</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>API keys file; none means every caller may do everything (a single-user laptop).</summary>
    public string? ApiKeysFile { get; init; }

    /// <summary>Largest request message (a photo plus its record).</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;
}
