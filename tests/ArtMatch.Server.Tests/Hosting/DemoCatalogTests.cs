using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>The demo catalogue `serve` falls back on: README's first command must serve real records.</summary>
public sealed class DemoCatalogTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("artmatch-demo-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public void Ensure_ImportsEveryDemoRecord_ThoughItsPicturesLieOutsideDemoFolder()
    {
        // The demo file's pictures are under ../shared/eval/dev: a partner's file with such paths is refused.
        var confined = CatalogFile.Read(DemoCatalog.CatalogPath);
        Assert.All(confined, entry => Assert.False(entry.IsValid));
        using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store);

        string line = DemoCatalog.Ensure(engine);

        Assert.Equal(confined.Count, engine.RequireStore().ObjectCount);
        Assert.StartsWith($"demo catalogue: {confined.Count} objects", line);
    }
}
