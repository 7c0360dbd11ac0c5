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
        // Five hundred pictures are enough to learn the whitening that ranks the candidates.
        Assert.True(summary.WhiteningLearned);
        Assert.Equal(engine.RequireStore().VectorCount, engine.RequireStore().Whitening!.LearnedFrom);
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(entries, entry =>
        {
            var result = engine.RequireMatcher().Match(File.ReadAllBytes(entry.ImagePaths[0]), new MatchRequest { TopK = 3 });
            if (result.Best?.ObjectId != entry.Record!.ObjectId)
                wrong.Add($"{entry.Record.ObjectId} -> {result.Best?.ObjectId}");
            if (result.Candidates.Zip(result.Candidates.Skip(1)).Any(pair => pair.First.RankScore < pair.Second.RankScore))
                wrong.Add($"{entry.Record.ObjectId}: candidates not in rank order");
        });
        Assert.True(wrong.IsEmpty, $"{wrong.Count} catalogue images matched another object first: {string.Join("; ", wrong.Take(10))}");
    }
}
