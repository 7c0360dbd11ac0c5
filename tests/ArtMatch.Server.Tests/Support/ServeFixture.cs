using System.Collections.Concurrent;
using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// Two real `artmatch serve` processes over copies of one 25-object store, both with API keys: one
/// on cleartext h2c with the metrics port, one on TLS with a certificate made here. Each client
/// (python, node) runs its whole scenario list once per server (<see cref="SuiteAsync"/>); the tests
/// read their part of the answers.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public const string OfficerKey = "officer-key-0123456789";
    public const string PartnerKey = "partner-key-0123456789";
    public const string AdminKey = "admin-key-012345678901";

    private readonly string _directory = Directory.CreateTempSubdirectory("artmatch-serve-").FullName;
    private readonly ConcurrentDictionary<(string, string), Lazy<Task<JsonElement>>> _suites = new();
    private ServeProcess? _cleartext;
    private ServeProcess? _tls;

    public IReadOnlyList<(string Id, string Image)> Objects { get; } = EngineFixture.DevObjects(25);

    public int Port { get; private set; }

    public int TlsPort { get; private set; }

    public int MetricsPort { get; private set; }

    public TestCertificates Certificates { get; private set; } = null!;

    public string Address(string transport) => transport == "tls" ? $"localhost:{TlsPort}" : $"localhost:{Port}";

    public string BigPhoto => Path.Combine(_directory, "big.jpg");

    public async Task InitializeAsync()
    {
        string store = Path.Combine(_directory, "store");
        Directory.CreateDirectory(store);
        using (var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(store))
            EngineFixture.ImportInto(engine, store, Objects);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        string tlsStore = Path.Combine(_directory, "store-tls");
        Directory.CreateDirectory(tlsStore);
        foreach (var file in Directory.GetFiles(store))
            File.Copy(file, Path.Combine(tlsStore, Path.GetFileName(file)));

        string keys = Path.Combine(_directory, "keys.json");
        await File.WriteAllTextAsync(keys, $$"""
            {"keys": [
              {"key": "{{OfficerKey}}", "name": "officer-1", "role": "officer"},
              {"key": "{{PartnerKey}}", "name": "registry-1", "role": "partner"},
              {"key": "{{AdminKey}}", "name": "admin-1", "role": "admin"}
            ]}
            """);
        Certificates = TestCertificates.Create(_directory);
        // A real JPEG followed by 10 MB after its end marker: a 10 MB message that decoders accept.
        await File.WriteAllBytesAsync(BigPhoto, [.. await File.ReadAllBytesAsync(Objects[3].Image), .. new byte[10 * 1024 * 1024]]);

        var ports = EngineFixture.FreePorts(3);
        (Port, MetricsPort, TlsPort) = (ports[0], ports[1], ports[2]);
        _cleartext = await ServeProcess.StartAsync("--store", store, "--port", $"{Port}", "--keys", keys, "--metrics-port", $"{MetricsPort}");
        _tls = await ServeProcess.StartAsync("--store", tlsStore, "--port", $"{TlsPort}", "--keys", keys,
            "--tls-cert", Certificates.CertificatePem, "--tls-key", Certificates.KeyPem);
    }

    /// <summary>The answers of <paramref name="client"/>'s scenario list against the <paramref name="transport"/> server (run once, then kept).</summary>
    public Task<JsonElement> SuiteAsync(string client, string transport) =>
        _suites.GetOrAdd((client, transport), _ => new Lazy<Task<JsonElement>>(() => RunSuiteAsync(client, transport))).Value;

    private async Task<JsonElement> RunSuiteAsync(string client, string transport)
    {
        string plan = Path.Combine(_directory, $"plan-{client}-{transport}.json");
        await File.WriteAllTextAsync(plan, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["root_cert"] = transport == "tls" ? Certificates.AuthorityPem : null,
            ["keys"] = new Dictionary<string, string> { ["officer"] = OfficerKey, ["partner"] = PartnerKey, ["admin"] = AdminKey },
            ["photo"] = Objects[7].Image,
            ["big_photo"] = BigPhoto,
            ["photos"] = Objects.Take(20).Select(o => o.Image).ToList(),
            ["upsert_photo"] = Objects[24].Image,
            ["object_id"] = $"INTEROP-{client}-{transport}",
            // A dev query of object 5 (the Dürer lion, in perspective) and that object's catalogue
            // picture; object 12's picture is the different one.
            ["verify_photo"] = RepoPaths.DevFile("queries/q0094.jpg"),
            ["verify_reference"] = Objects[5].Image,
            ["verify_object_id"] = Objects[5].Id,
            ["verify_other"] = Objects[12].Image,
        }));
        return await InteropPeers.RunAsync(client, Address(transport), plan);
    }

    public Task DisposeAsync()
    {
        _cleartext?.Dispose();
        _tls?.Dispose();
        Certificates?.Authority.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }
}

/// <summary>The test classes that share the two `artmatch serve` processes (one pair per test run).</summary>
[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "artmatch serve";
}
