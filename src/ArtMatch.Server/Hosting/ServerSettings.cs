using System.Net;

namespace ArtMatch.Server.Hosting;

public sealed record ServerSettings
{
    /// <summary>The gRPC port.</summary>
    public int Port { get; init; } = 50051;

    /// <summary>
    /// The address to listen on (an IP address, or "localhost"); null: every interface when there
    /// are API keys, loopback only (127.0.0.1 and ::1) when there are none. See <see cref="ListenAddress"/>.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>
    /// Serve a non-loopback address without API keys: everyone who can reach the port may delete and
    /// change the catalogue. Off by default; the CLI flag says so in its name.
    /// </summary>
    public bool InsecureNetworkWithoutKeys { get; init; }

    /// <summary>PEM certificate and key; with both, the port speaks TLS (HTTP/2 and HTTP/1.1 by ALPN).</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>API keys file; none means every caller may do everything (a single-user laptop).</summary>
    public string? ApiKeysFile { get; init; }

    /// <summary>Largest message either way, in bytes (a photo plus its record).</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>
    /// Where the ports listen: null for loopback only, <see cref="IPAddress.IPv6Any"/> (every interface)
    /// or one address. Secure by default: without keys, loopback unless <see cref="InsecureNetworkWithoutKeys"/>;
    /// an address off this machine without keys is refused with a message that says what to do.
    /// </summary>
    public IPAddress? ListenAddress()
    {
        bool keys = ApiKeysFile is not null;
        if (Host is null)
            return keys || InsecureNetworkWithoutKeys ? IPAddress.IPv6Any : null;
        if (Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return null;
        if (!IPAddress.TryParse(Host.Trim('[', ']'), out var address))
            throw new ArgumentException($"--host '{Host}' is not an IP address (or localhost).");
        if (!IPAddress.IsLoopback(address) && !keys && !InsecureNetworkWithoutKeys)
            throw new ArgumentException(
                $"Refusing to listen on {Host} without API keys: anyone who can reach it could change or delete the catalogue. " +
                "Give --keys FILE (artmatch keys add makes one), or listen on loopback (the default), or pass --insecure-no-keys-on-network if you really mean it.");
        return IPAddress.Any.Equals(address) ? IPAddress.IPv6Any : address;
    }

    /// <summary>What the start-up line says about where it listens.</summary>
    public string ListenDescription()
    {
        var address = ListenAddress();
        string where = address is null ? "loopback only (127.0.0.1, ::1)" : address.Equals(IPAddress.IPv6Any) ? "all interfaces" : address.ToString();
        if (ApiKeysFile is not null)
            return $"{where}; API keys required";
        return address is null
            ? $"{where}; no API keys, so other machines cannot connect (give --keys to serve the network)"
            : $"{where}; NO API KEYS: anyone who can reach this port may change or delete the catalogue";
    }

    /// <summary>Admission control for photo work (bounded queue, per-caller share, bytes in flight).</summary>
    public AdmissionSettings Admission { get; init; } = new();

    /// <summary>A second port (cleartext HTTP/1.1) serving Prometheus metrics at /metrics; none by default.</summary>
    public int? MetricsPort { get; init; }
}
