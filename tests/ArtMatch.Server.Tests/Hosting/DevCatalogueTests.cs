using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>The whole development catalogue through the real pipeline and the SQLite store.</summary>
public sealed class DevCatalogueTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("artmatch-devcat-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public void Import_DevCatalogue_ThenEveryCatalogueImageFindsItsOwnObjectFirst()
    {
        using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store);
        var entries = CatalogFile.Read(RepoPaths.DevFile("catalog.csv"));

        var summary = engine.Importer!.Import(entries);

        Assert.Empty(summary.Failures);
        Assert.Equal(entries.Count, engine.RequireStore().ObjectCount);
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(entries, entry =>
        {
            var result = engine.RequireMatcher().Match(File.ReadAllBytes(entry.ImagePaths[0]), new MatchRequest { TopK = 1 });
            if (result.Best?.ObjectId != entry.Record!.ObjectId)
                wrong.Add($"{entry.Record.ObjectId} -> {result.Best?.ObjectId}");
        });
        Assert.True(wrong.IsEmpty, $"{wrong.Count} catalogue images matched another object first: {string.Join("; ", wrong.Take(10))}");
    }
}
