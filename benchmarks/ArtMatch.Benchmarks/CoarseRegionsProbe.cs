using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Whether an object small in a scene can be seen without the regions stage's 640 px model run:
/// <c>coarse-regions STORE SET [EVERY]</c> pools the same windows over the cheap pass's own 320 px map
/// and over the 640 px map and prints, per query, the best cosine of the whole photo, of each set of
/// windows, and that of the expected object (0 when not among a view's top 10). One JSON line a query.
/// Measuring only: no rule is chosen on these answers.
/// </summary>
public static class CoarseRegionsProbe
{
    public static int Run(string[] args)
    {
        string storePath = args[0], set = args[1];
        int every = args.Length > 2 ? int.Parse(args[2]) : 1;
        using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(storePath);
        var store = engine.RequireStore();
        var describer = engine.Describer;
        RegionLevel[] coarse = [new(0.3f, 320), new(0.4f, 320), new(0.5f, 320), new(0.75f, 320)];
        foreach (var line in File.ReadAllLines(Path.Combine(set, "queries.csv")).Skip(1).Where((_, i) => i % every == 0))
        {
            var f = line.Split(',');
            var image = describer.Decode(File.ReadAllBytes(Path.Combine(set, f[0])));
            var mapsAt = describer.MapsOf(image);
            var global = store.SearchMany([describer.GlobalVector(mapsAt)], 10, SearchFilter.None)[0];
            (float Best, string Id, float Own) Of(IReadOnlyList<float[]> vectors)
            {
                var hits = store.SearchMany(vectors, 10, SearchFilter.None with { WholeImagesOnly = true }).SelectMany(h => h).ToList();
                var best = hits.MaxBy(h => h.Score)!;
                float own = hits.Where(h => h.ObjectId == f[1]).Select(h => h.Score).DefaultIfEmpty(0).Max();
                return (best.Score, best.ObjectId, own);
            }
            var c = Of(describer.RegionsOf(mapsAt, coarse).Vectors);
            var r = Of(describer.RegionsOf(mapsAt, describer.Settings.QueryRegions).Vectors);
            float gOwn = global.Where(h => h.ObjectId == f[1]).Select(h => h.Score).DefaultIfEmpty(0).Max();
            Console.WriteLine(JsonSerializer.Serialize(new { q = f[0], expected = f[1], kind = f[2], g = global[0].Score, g_own = gOwn, c_best = c.Best, c_own = c.Own, c_id = c.Id, r_best = r.Best, r_own = r.Own, r_id = r.Id }));
        }
        return 0;
    }
}
