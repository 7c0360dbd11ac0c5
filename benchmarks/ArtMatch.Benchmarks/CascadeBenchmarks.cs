using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;
using BenchmarkDotNet.Attributes;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Match of one photo of a catalogued painting (12 MP and 1 MP JPEG) against the dev catalogue, the
/// cascade (the product) and every stage (<c>--full</c>) side by side. The catalogue store is built
/// once in benchmarks/.fixtures/dev-store and reused by every case (an import costs minutes).
/// Run: <c>dotnet run -c Release --project benchmarks/ArtMatch.Benchmarks -- --filter '*CascadeMatchBenchmarks*' --memory</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class CascadeMatchBenchmarks
{
    private ArtMatchEngine _engine = null!;
    private byte[] _photo = [];

    [Params("jpeg-12mp", "jpeg-1mp")]
    public string Input { get; set; } = "";

    [Params("cascade", "full")]
    public string Pipeline { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var config = new ArtMatchConfig();
        if (Pipeline == "full")
            config = config with { Match = config.Match with { Cascade = config.Match.Cascade with { Full = true } } };
        string store = Path.Combine(Fixtures.Root, "benchmarks", ".fixtures", "dev-store");
        bool fresh = !Directory.Exists(store);
        _engine = ArtMatchEngine.Create(config).OpenStore(store);
        if (fresh || _engine.RequireStore().ObjectCount == 0)
            _engine.Importer!.Import(CatalogFile.Read(Path.Combine(Fixtures.DevSet, "catalog.csv")));
        _photo = Input == "jpeg-12mp" ? Fixtures.Jpeg12Mp : Fixtures.Jpeg1Mp;
        // The catalogue pictures verification reads are cached after the first match, as in a running server.
        _engine.RequireMatcher().Match(_photo, new MatchRequest());
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    [Benchmark]
    public MatchResult Match() => _engine.RequireMatcher().Match(_photo, new MatchRequest());
}
