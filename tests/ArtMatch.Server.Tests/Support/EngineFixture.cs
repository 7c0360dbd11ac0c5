using System.Net;
using System.Net.Sockets;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// The real engine (model, libvips, SQLite) over a store of the first 25 dev-catalogue objects, built
/// once per test class. Tests that write use their own object ids, so they do not disturb each other.
/// </summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        Objects = DevObjects(25);
        Engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(StoreDirectory);
        ImportInto(Engine, StoreDirectory, Objects);
    }

    public string StoreDirectory { get; } = Directory.CreateTempSubdirectory("artmatch-server-").FullName;

    public ArtMatchEngine Engine { get; }

    public IReadOnlyList<(string Id, string Image)> Objects { get; }

    public byte[] Photo(int index) => File.ReadAllBytes(Objects[index].Image);

    /// <summary>An in-process server (TestServer in Kestrel's place) over this fixture's engine, or another.</summary>
    public Task<InProcessServer> StartInProcessAsync(ServerSettings? settings = null, ArtMatchEngine? engine = null, LogCapture? logs = null) =>
        InProcessServer.StartAsync(engine ?? Engine, settings ?? new ServerSettings(), logs);

    public static IReadOnlyList<(string Id, string Image)> DevObjects(int count) =>
        File.ReadLines(RepoPaths.DevFile("catalog.csv")).Skip(1).Select(l => l.Split(','))
            .Select(p => (Id: p[0], Image: RepoPaths.DevFile(p[1]))).Take(count).ToList();

    /// <summary>Imports <paramref name="objects"/> with titles "Title ID", makers "Maker ID", registry TEST, stolen.</summary>
    public static void ImportInto(ArtMatchEngine engine, string directory, IReadOnlyList<(string Id, string Image)> objects)
    {
        var csv = Path.Combine(directory, "catalog.csv");
        File.WriteAllLines(csv, ["object_id,image,title,maker,registry,status", .. objects.Select(o => $"{o.Id},{o.Image},Title {o.Id},Maker {o.Id},TEST,stolen")]);
        // The catalogue sits in the store folder and names the dev set's photos where they are: outside it, on purpose.
        var summary = engine.Importer!.Import(CatalogFile.Read(csv, allowOutside: true));
        if (summary.Failures.Count > 0)
            throw new InvalidOperationException("fixture import failed: " + summary.Failures[0].Message);
    }

    /// <summary>A port nobody listens on now (other worktrees run tests at the same time: never a fixed one).</summary>
    public static int FreePort() => FreePorts(1)[0];

    /// <summary>
    /// <paramref name="count"/> different ports nobody listens on now: each is held until all are
    /// chosen, as one closed at once may be handed out again by the next call.
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
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
