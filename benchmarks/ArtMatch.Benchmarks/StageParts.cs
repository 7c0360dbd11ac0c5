using System.Diagnostics;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Where the escalation stages' time goes, part by part, on a store already built:
/// <c>stage-parts STORE SET [EVERY]</c> takes every EVERY-th query of the set, matches it once (to
/// warm the catalogue pictures and to learn which queries escalate), then, for the queries the cheap
/// pass did not answer, times each part of the costlier stages alone (model runs per input size,
/// pooling, searches, keypoint detection and search, verification of the leaders and the first load of
/// their pictures both ways); prints one JSON
/// line with the p50 and mean of each part.
/// </summary>
public static class StageParts
{
    public static int Run(string[] args)
    {
        string storePath = args[0], set = args[1];
        int every = args.Length > 2 ? int.Parse(args[2]) : 1;
        using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(storePath);
        var matcher = engine.RequireMatcher();
        var store = engine.RequireStore();
        var describer = engine.Describer;
        var pictures = new CataloguePictureCache(describer, store);
        var settings = matcher.Settings;
        var photos = File.ReadAllLines(Path.Combine(set, "queries.csv")).Skip(1).Where((_, i) => i % every == 0)
            .Select(l => File.ReadAllBytes(Path.Combine(set, l.Split(',')[0]))).ToList();
        var escalating = photos.Where(p => matcher.Match(p, new MatchRequest { TopK = 10 }).AnsweredAfter != Matcher.CheapPass).ToList();
        var parts = new Dictionary<string, List<double>>();
        foreach (var bytes in escalating)
        {
            var image = Time(parts, "decode", () => describer.Decode(bytes));
            var mapsAt = describer.MapsOf(image);
            Time(parts, "model_320", () => mapsAt(320));
            var global = Time(parts, "global_and_local", () => (describer.GlobalVector(mapsAt), ImageDescriber.LocalFeaturesOf(mapsAt(320))));
            Time(parts, "model_640", () => mapsAt(640));
            Time(parts, "model_800", () => mapsAt(800));
            var regions = Time(parts, "region_pooling", () => describer.RegionsOf(mapsAt, describer.Settings.QueryRegions).Vectors);
            Time(parts, "region_search", () => store.SearchMany(regions, settings.Shortlist, SearchFilter.None with { WholeImagesOnly = true }));
            var turns = Time(parts, "turns_describe", () => describer.Turned(image));
            Time(parts, "turns_search", () => store.SearchMany(turns.Select(t => t.Global).ToList(), settings.Shortlist, SearchFilter.None));
            var grey = ArtMatch.Core.Keypoints.GreyImage.FromRgb(image);
            var sizes = Enumerable.Range(1, 7).Select(l => ((int)Math.Round(grey.Width / MathF.Pow(1.2f, l)), (int)Math.Round(grey.Height / MathF.Pow(1.2f, l)))).ToList();
            Time(parts, "keypoints_pyramid_plain", () => sizes.Select(size => grey.ShrinkReference(size.Item1, size.Item2)).ToList());
            var levels = Time(parts, "keypoints_pyramid", () => sizes.Select(size => grey.Shrink(size.Item1, size.Item2)).Prepend(grey).ToList());
            // FAST-9 scores of every level, the plain loop and the vector one, same border and threshold as the detector's defaults.
            var scores = new int[grey.Width * grey.Height];
            Time(parts, "keypoints_fast_plain", () => Fast(levels, scores, level => ArtMatch.Core.Keypoints.KeypointDetector.FastScoresReference(level, 12, 15, scores)));
            Time(parts, "keypoints_fast", () => Fast(levels, scores, level => ArtMatch.Core.Keypoints.KeypointDetector.FastScores(level, 12, 15, scores, ArtMatch.Core.Keypoints.KeypointDetector.FastTier.Best)));
            var keypoints = Time(parts, "keypoints_detect", () => describer.KeypointsOf(image, forCatalogue: false));
            if (keypoints is not null)
                Time(parts, "keypoints_search", () => store.SearchKeypoints(keypoints, settings.KeypointFloor + 1, settings.VerifyTop, SearchFilter.None));
            var leaders = store.SearchMany([global.Item1], settings.Shortlist, SearchFilter.None)[0].Take(settings.VerifyTop).ToList();
            Time(parts, "verify_pictures_warm", () => leaders.Select(h => pictures.Get(h.ImageId)).ToList());
            // The leaders' pictures as a first visit finds them: decoded and described from their bytes, or read as stored at import.
            Time(parts, "verify_pictures_cold", () => leaders.Select(h => pictures.LoadFromBytes(h.ImageId)).ToList());
            Time(parts, "verify_pictures_stored", () => leaders.Select(h => store.GetCatalogueLocal(h.ImageId)).ToList());
            Time(parts, "verify_spatial_10", () =>
            {
                foreach (var hit in leaders)
                {
                    if (pictures.Get(hit.ImageId) is { } picture)
                        SpatialVerifier.Verify(global.Item2, image.Width, image.Height, picture.Features, picture.Width, picture.Height, settings.LocalMinSimilarity);
                }
                return 0;
            });
            Time(parts, "verify_mutual_nearest_10", () =>
            {
                foreach (var hit in leaders)
                {
                    if (pictures.Get(hit.ImageId) is { } picture)
                        SpatialVerifier.MutualNearestNeighbours(global.Item2!, picture.Features, settings.LocalMinSimilarity);
                }
                return 0;
            });
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            queries = photos.Count,
            escalating = escalating.Count,
            parts = parts.ToDictionary(kv => kv.Key, kv => new { p50_ms = Math.Round(Quantile(kv.Value, 0.5), 1), mean_ms = Math.Round(kv.Value.Average(), 1) }),
        }));
        return 0;
    }

    private static int Fast(List<ArtMatch.Core.Keypoints.GreyImage> levels, int[] scores, Action<ArtMatch.Core.Keypoints.GreyImage> score)
    {
        foreach (var level in levels)
        {
            Array.Clear(scores);
            score(level);
        }
        return levels.Count;
    }

    private static T Time<T>(Dictionary<string, List<double>> parts, string name, Func<T> work)
    {
        long start = Stopwatch.GetTimestamp();
        var result = work();
        (parts.TryGetValue(name, out var list) ? list : parts[name] = []).Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return result;
    }

    private static double Quantile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>
/// Every answer of a set's queries on a store already built, one JSON line per query (query, where
/// the cascade answered, verdict, the top five with scores): <c>match-answers STORE SET [EVERY] [full] [CONFIG.json]</c>.
/// Two builds' outputs diffed line by line show whether a change moved any answer.
/// </summary>
public static class MatchAnswers
{
    public static int Run(string[] args)
    {
        string storePath = args[0], set = args[1];
        int every = args.Length > 2 ? int.Parse(args[2]) : 1;
        bool full = args.Contains("full");
        var config = ArtMatchConfig.Load(args.FirstOrDefault(a => a.EndsWith(".json", StringComparison.Ordinal)));
        if (full)
            config = config with { Match = config.Match with { Cascade = config.Match.Cascade with { Full = true } } };
        using var engine = ArtMatchEngine.Create(config).OpenStore(storePath);
        var matcher = engine.RequireMatcher();
        foreach (var line in File.ReadAllLines(Path.Combine(set, "queries.csv")).Skip(1).Where((_, i) => i % every == 0))
        {
            var fields = line.Split(',');
            var result = matcher.Match(File.ReadAllBytes(Path.Combine(set, fields[0])), new MatchRequest { TopK = 5 });
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                q = fields[0], expected = fields[1], kind = fields[2], after = result.AnsweredAfter, verdict = result.Verdict.ToString(),
                margin = Math.Round(result.Margin, 4), src = result.Best?.Source.ToString(), ms = Math.Round(result.Milliseconds, 1),
                top = result.Candidates.Select(c => $"{c.ObjectId}:{c.Score:F4}:{c.Inliers}:{c.KeypointInliers}:{c.Verdict}"),
                // Every float of every candidate, round-trip: two builds' answers compared bit for bit.
                bits = result.Candidates.Select(c => $"{c.Score:R}:{c.Similarity:R}:{c.RankScore:R}:{c.ColourShift:R}:{c.Source}"),
            }));
        }
        return 0;
    }
}

/// <summary>
/// Two configurations timed side by side in one process: <c>match-ab STORE SET EVERY A.json|default B.json [full]</c>
/// opens the store once per configuration, matches every EVERY-th query with both (to warm the
/// catalogue pictures), then times each photo with A and with B in turn; prints the p50, p95 and mean
/// of each and of each stage, so that the machine's load falls on both alike.
/// </summary>
public static class MatchAb
{
    public static int Run(string[] args)
    {
        string storePath = args[0], set = args[1];
        int every = int.Parse(args[2]);
        bool full = args.Contains("full");
        var names = new[] { args[3], args[4] };
        var matchers = names.Select(name =>
        {
            var config = ArtMatchConfig.Load(name == "default" ? null : name);
            if (full)
                config = config with { Match = config.Match with { Cascade = config.Match.Cascade with { Full = true } } };
            return ArtMatchEngine.Create(config).OpenStore(storePath);
        }).ToList();
        var photos = File.ReadAllLines(Path.Combine(set, "queries.csv")).Skip(1).Where((_, i) => i % every == 0)
            .Select(l => File.ReadAllBytes(Path.Combine(set, l.Split(',')[0]))).ToList();
        foreach (var engine in matchers)
        {
            foreach (var photo in photos)
                engine.RequireMatcher().Match(photo, new MatchRequest { TopK = 10 });
        }
        var totals = names.Select(_ => new List<double>()).ToArray();
        var stages = names.Select(_ => new Dictionary<string, List<double>>()).ToArray();
        foreach (var photo in photos)
        {
            for (int which = 0; which < 2; which++)
            {
                var result = matchers[which].RequireMatcher().Match(photo, new MatchRequest { TopK = 10 });
                totals[which].Add(result.Milliseconds);
                foreach (var (stage, elapsed) in result.Timings.Stages())
                    (stages[which].TryGetValue(stage, out var list) ? list : stages[which][stage] = []).Add(elapsed.TotalMilliseconds);
            }
        }
        foreach (var engine in matchers)
            engine.Dispose();
        Console.WriteLine(JsonSerializer.Serialize(Enumerable.Range(0, 2).Select(which => new
        {
            config = names[which],
            pipeline = full ? "full" : "cascade",
            queries = photos.Count,
            p50_ms = Math.Round(Quantile(totals[which], 0.5), 1),
            p95_ms = Math.Round(Quantile(totals[which], 0.95), 1),
            mean_ms = Math.Round(totals[which].Average(), 1),
            stages = stages[which].ToDictionary(kv => kv.Key, kv => new { runs = kv.Value.Count, p50_ms = Math.Round(Quantile(kv.Value, 0.5), 1), mean_ms = Math.Round(kv.Value.Average(), 1) }),
        })));
        return 0;
    }

    private static double Quantile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
