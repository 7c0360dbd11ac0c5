namespace ArtMatch.Server.Hosting;

public sealed record ServerSettings
{
    /// <summary>The gRPC port (all interfaces).</summary>
    public int Port { get; init; } = 50051;

    /// <summary>PEM certificate and key; with both, the port speaks TLS (HTTP/2 and HTTP/1.1 by ALPN).</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>API keys file; none means every caller may do everything (a single-user laptop).</summary>
    public string? ApiKeysFile { get; init; }

    /// <summary>Largest message either way, in bytes (a photo plus its record).</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>A second port (cleartext HTTP/1.1) serving Prometheus metrics at /metrics; none by default.</summary>
    public int? MetricsPort { get; init; }
}
