using System.Net;
using System.Net.Sockets;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Grpc;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace ArtMatch.Server.Tests;

/// <summary>
/// The real engine (model, libvips, SQLite) over a store of the first 25 dev-catalogue objects, built
/// once per test class. Tests that write use their own object ids, so they do not disturb each other.
/// </summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        Engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(StoreDirectory);
        Objects = File.ReadLines(RepoPaths.DevFile("catalog.csv")).Skip(1).Select(l => l.Split(','))
            .Select(p => (Id: p[0], Image: RepoPaths.DevFile(p[1]))).Take(25).ToList();
        var csv = Path.Combine(StoreDirectory, "catalog.csv");
        File.WriteAllLines(csv, ["object_id,image,title,maker,registry,status", .. Objects.Select(o => $"{o.Id},{o.Image},Title {o.Id},Maker {o.Id},TEST,stolen")]);
        var summary = Engine.Importer!.Import(CatalogFile.Read(csv));
        if (summary.Failures.Count > 0)
            throw new InvalidOperationException("fixture import failed: " + summary.Failures[0].Message);
    }

    public string StoreDirectory { get; } = Directory.CreateTempSubdirectory("artmatch-server-").FullName;

    public ArtMatchEngine Engine { get; }

    public IReadOnlyList<(string Id, string Image)> Objects { get; }

    /// <summary>An in-process server (TestHost) over the engine.</summary>
    public async Task<(WebApplication App, GrpcClient Client)> StartInProcessAsync(ServerSettings? settings = null)
    {
        var app = ArtMatchServer.Build(Engine, settings ?? new ServerSettings(), builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        var http = app.GetTestServer().CreateClient();
        http.DefaultRequestVersion = HttpVersion.Version20;
        return (app, new GrpcClient(http));
    }

    /// <summary>A real Kestrel server on a free local port, for independent clients.</summary>
    public async Task<(WebApplication App, string Address)> StartKestrelAsync(ServerSettings? settings = null)
    {
        int port = FreePort();
        var app = ArtMatchServer.Build(Engine, (settings ?? new ServerSettings()) with { Port = port });
        await app.StartAsync();
        return (app, $"localhost:{port}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Engine.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(StoreDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
