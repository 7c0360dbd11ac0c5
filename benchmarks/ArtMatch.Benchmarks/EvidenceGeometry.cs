using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Sift;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>
/// What the SIFT "possible" check would see under each geometric model (<see cref="SiftGeometry"/>), recorded
/// once so that rules can be recomputed without matching again: <c>evidence-geometry STORE SET DETAILS OUT [K]</c>.
/// For each query of an eval's details file that the score answered "possible", the photo's
/// features (as the check makes them) against every stored picture of the best K candidates and of the
/// expected objects: ratio-test matches and the consistent inliers of a homography, an affine map and a
/// fundamental matrix. STORE must hold the catalogue's SIFT features. Writes one JSON line per query to OUT as each ends.
/// </summary>
public static class EvidenceGeometry
{
    public static int Run(string[] args)
    {
        string storePath = args[0], set = args[1], details = args[2], outPath = args[3];
        int k = args.Length > 4 ? int.Parse(args[4]) : 5;
        using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(storePath);
        var store = engine.RequireStore();
        var evidence = engine.NewSiftEvidence(new Core.Matching.SiftEvidenceSettings { Floor = 4 });
        var sift = new SiftSettings();
        var featureEngine = engine.Importer!.Sift?.Engine ?? new ArtMatch.Features.OpenCvFeatureEngine();
        var rows = File.ReadLines(details).Select(l => JsonDocument.Parse(l).RootElement).Where(Checked).ToList();
        using var output = new StreamWriter(outPath) { AutoFlush = true };
        int done = 0;
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var row = rows[i];
            string query = row.GetProperty("query").GetString()!;
            var photo = evidence.Describe(engine.Describer.Decode(File.ReadAllBytes(Path.Combine(set, "queries", query))));
            var ranked = row.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
            var expected = row.GetProperty("expected").EnumerateArray().Select(e => e.GetString()!).ToList();
            var objects = ranked.Take(k).Union(expected).ToList();
            var seen = objects.ToDictionary(o => o, o =>
            {
                int matches = 0;
                var best = new int[3];
                foreach (var image in store.GetImages(o))
                {
                    if (store.GetSiftFeatures(image.ImageId) is not { Count: > 0 } features)
                        continue;
                    foreach (var g in Enum.GetValues<SiftGeometry>())
                    {
                        var v = SiftVerifier.Verify(featureEngine, photo, features, sift, g);
                        matches = Math.Max(matches, v.Matches);
                        best[(int)g] = Math.Max(best[(int)g], v.Inliers);
                    }
                }
                return new { rank = ranked.IndexOf(o), matches, homography = best[0], affine = best[1], fundamental = best[2] };
            });
            var line = JsonSerializer.Serialize(new { query, expected, kind = row.GetProperty("kind").GetString(), objects = seen });
            lock (output)
                output.WriteLine(line);
            if (Interlocked.Increment(ref done) % 20 == 0)
                Console.Error.WriteLine($"{done}/{rows.Count}");
        });
        Console.WriteLine(JsonSerializer.Serialize(new { queries = rows.Count, k }));
        return 0;
    }

    /// <summary>A query the score answered "possible" (recorded as the verdict before the check, when it ran).</summary>
    private static bool Checked(JsonElement row)
    {
        var candidates = row.GetProperty("candidates");
        if (candidates.GetArrayLength() == 0)
            return false;
        var before = candidates[0].GetProperty("before_evidence");
        string verdict = before.ValueKind == JsonValueKind.String ? before.GetString()! : row.GetProperty("verdict").GetString()!;
        return verdict == "possible";
    }
}
