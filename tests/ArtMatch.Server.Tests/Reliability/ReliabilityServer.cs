using ArtMatch.Core.Configuration;
using ArtMatch.Grpc;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace ArtMatch.Server.Tests.Reliability;

/// <summary>
/// The reliability suite's server: the real `artmatch serve` as its own process (so its CPU time can
/// be read from /proc and a crash shows as an exit) on a loopback port, over a 12-object store, with
/// keys: two officers (the attacker's "bombs" and a normal one) and an admin. Admission as the
/// server's defaults for this machine. The suite's classes share it and run alone (no other test
/// class of this assembly beside them), so the CPU figures are the server's own work.
/// </summary>
public sealed class ReliabilityServer : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("artmatch-reliability-").FullName;
    private ServeProcess? _serve;

    public IReadOnlyList<(string Id, string Image)> Objects { get; } = EngineFixture.DevObjects(12);

    public GrpcChannel Channel { get; private set; } = null!;

    public ServeProcess Process => _serve!;

    public byte[] Photo(int index) => File.ReadAllBytes(Objects[index].Image);

    public async Task InitializeAsync()
    {
        string store = Path.Combine(_directory, "store");
        Directory.CreateDirectory(store);
        using (var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(store))
            EngineFixture.ImportInto(engine, store, Objects);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        string keys = Path.Combine(_directory, "keys.json");
        await File.WriteAllTextAsync(keys, $$"""
            {"keys": [
              {"key": "{{HostileCorpus.Bombs}}", "name": "bombs", "role": "officer"},
              {"key": "{{HostileCorpus.Officer}}", "name": "officer", "role": "officer"},
              {"key": "{{HostileCorpus.Admin}}", "name": "admin", "role": "admin"}
            ]}
            """);
        int port = EngineFixture.FreePort();
        _serve = await ServeProcess.StartAsync("--store", store, "--port", $"{port}", "--host", "127.0.0.1", "--keys", keys);
        // The client sends up to 64 MB, so the server's own 32 MB limit is what answers a huge message.
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            MaxSendMessageSize = ArtMatchChannel.MaxMessageBytes,
            MaxReceiveMessageSize = ArtMatchChannel.MaxMessageBytes,
        });
    }

    /// <summary>Sends the case's bytes as they are and returns the status the server answered.</summary>
    public async Task<Status> CallAsync(HostileCase call, TimeSpan deadline)
    {
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "artmatch.v1.ArtMatch", call.Method, bytes, bytes);
        var headers = new Metadata();
        if (call.Key.Length > 0)
            headers.Add("authorization", $"Bearer {call.Key}");
        try
        {
            await Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers, DateTime.UtcNow + deadline), call.Request).ResponseAsync;
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    public Grpc.Api.V1.ArtMatch.ArtMatchClient Client(string key) => Channel.CreateArtMatchClient(key);

    /// <summary>The server process still runs and its health service says SERVING.</summary>
    public async Task AssertHealthyAsync()
    {
        Assert.False(Process.HasExited, $"the server exited:\n{Process.Output}");
        var health = await new Health.HealthClient(Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddMinutes(5));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    /// <summary>The server process's CPU time so far (user + system, all threads), from /proc.</summary>
    public double CpuSeconds()
    {
        var fields = File.ReadAllText($"/proc/{Process.Id}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the command name: state is field 0, utime field 11, stime field 12 (clock ticks, 100 a second on Linux).
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The server's resident memory in MB, from /proc.</summary>
    public double ResidentMb() =>
        File.ReadLines($"/proc/{Process.Id}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024).Single();

    public Task DisposeAsync()
    {
        Channel?.Dispose();
        _serve?.Dispose();
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

/// <summary>The reliability suite: one server, its classes run alone so that CPU and latency figures are the server's.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilitySuite : ICollectionFixture<ReliabilityServer>
{
    public const string Name = "reliability suite";
}
