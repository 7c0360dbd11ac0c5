using System.Diagnostics;
using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Sift;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>
/// The SIFT "possible" check (<see cref="SiftEvidence"/>) with the catalogue's features detected on first use
/// against read as stored at import, side by side in one run:
/// <c>evidence-parts COLD_STORE STORED_STORE SET DETAILS [FLOOR] [PHOTO_CAPS] [OUT]</c>. COLD_STORE holds no SIFT features (a store
/// written without them: the check detects each picture from its bytes once, as before), STORED_STORE the same
/// catalogue with them. The queries are those of an eval's details file (<c>eval --details</c>) whose candidates the
/// check inspected (ev_sift set), with the candidates and score verdict that run recorded; each query is judged
/// both ways, one after the other, then with the photo's features capped at each of PHOTO_CAPS (comma-separated,
/// stored features). Prints one JSON line: p50/mean of each part, and how many candidates' inliers and verdicts
/// differ from the cold path; OUT gets each query's inliers per variant as JSON lines.
/// </summary>
public static class EvidenceParts
{
    public static int Run(string[] args)
    {
        string coldPath = args[0], storedPath = args[1], set = args[2], details = args[3];
        int floor = args.Length > 4 ? int.Parse(args[4]) : 4;
        int[] caps = args.Length > 5 && args[5].Length > 0 ? args[5].Split(',').Select(int.Parse).ToArray() : [];
        string? outPath = args.Length > 6 ? args[6] : null;
        // Rescue: the recorded "no match" queries (an eval with rescue on) are checked too; each line says which verdict it had.
        var settings = new SiftEvidenceSettings { Floor = floor, Rescue = true };
        using var cold = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(coldPath);
        using var stored = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(storedPath);
        if (cold.RequireStore().ImagesWithoutSiftFeatures().Count == 0 || stored.RequireStore().ImagesWithoutSiftFeatures().Count > 0)
            throw new InvalidOperationException("COLD_STORE must lack SIFT features and STORED_STORE have them all.");
        var coldEvidence = cold.NewSiftEvidence(settings);
        var storedEvidence = stored.NewSiftEvidence(settings);
        var capped = caps.ToDictionary(c => c, c => stored.NewSiftEvidence(settings with { PhotoFeatures = c }));
        var parts = new Dictionary<string, List<double>>();
        var differ = new Dictionary<string, int>();
        var lines = new List<string>();
        int queries = 0, candidates = 0;
        foreach (var (query, ranked) in Checked(details))
        {
            queries++;
            candidates += Math.Min(settings.Candidates, ranked.Count);
            var image = stored.Describer.Decode(File.ReadAllBytes(Path.Combine(set, "queries", query)));
            var photo = Time(parts, "describe_photo", () => storedEvidence.Describe(image));
            var before = Time(parts, "judge_cold", () => coldEvidence.Judge(photo, ranked));
            var after = Time(parts, "judge_stored", () => storedEvidence.Judge(photo, ranked));
            var variants = new Dictionary<string, List<Candidate>> { ["cold"] = before, ["stored"] = after };
            var ms = parts.Where(p => p.Value.Count == queries).ToDictionary(p => p.Key, p => Math.Round(p.Value[^1], 1));
            Count(differ, "stored", before, after);
            foreach (var (cap, evidence) in capped)
            {
                var small = Time(parts, $"describe_photo_{cap}", () => evidence.Describe(image));
                var judged = Time(parts, $"judge_stored_{cap}", () => evidence.Judge(small, ranked));
                ms[$"describe_photo_{cap}"] = Math.Round(parts[$"describe_photo_{cap}"][^1], 1);
                ms[$"judge_stored_{cap}"] = Math.Round(parts[$"judge_stored_{cap}"][^1], 1);
                variants[$"stored_{cap}"] = judged;
                Count(differ, $"stored_{cap}", before, judged);
            }
            lines.Add(JsonSerializer.Serialize(new
            {
                query,
                score_verdict = ranked[0].Verdict.ToString(),
                ms,
                variants = variants.ToDictionary(v => v.Key, v => new
                {
                    verdict = v.Value[0].Verdict.ToString(),
                    first = v.Value[0].ObjectId,
                    inliers = v.Value.Where(c => c.EvidenceInliers is not null).ToDictionary(c => c.ObjectId, c => c.EvidenceInliers),
                }),
            }));
        }
        if (outPath is not null)
            File.WriteAllLines(outPath, lines);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            queries,
            candidates,
            floor,
            differ,
            parts = parts.ToDictionary(kv => kv.Key, kv => new { p50_ms = Math.Round(Quantile(kv.Value, 0.5), 1), mean_ms = Math.Round(kv.Value.Average(), 1) }),
        }));
        return 0;
    }

    /// <summary>The queries the check inspected in a recorded eval, with that run's candidates and verdicts on the score.</summary>
    private static IEnumerable<(string Query, List<Candidate> Ranked)> Checked(string details)
    {
        foreach (var line in File.ReadLines(details))
        {
            using var row = JsonDocument.Parse(line);
            var root = row.RootElement;
            var candidates = root.GetProperty("candidates").EnumerateArray().ToList();
            if (candidates.Count == 0 || !candidates.Any(c => c.GetProperty("ev_sift").ValueKind == JsonValueKind.Number))
                continue;
            var first = candidates[0].GetProperty("before_evidence");
            var verdict = Parse(first.ValueKind == JsonValueKind.String ? first.GetString()! : root.GetProperty("verdict").GetString()!);
            var ranked = candidates.Select((c, i) => new Candidate(c.GetProperty("id").GetString()!, "", c.GetProperty("score").GetSingle(), c.GetProperty("sim").GetSingle(), 0,
                i == 0 ? verdict : Verdict.NoMatch)).ToList();
            yield return (root.GetProperty("query").GetString()!, ranked);
        }
    }

    private static Verdict Parse(string verdict) => verdict switch
    {
        "match" => Verdict.Match,
        "possible" => Verdict.Possible,
        _ => Verdict.NoMatch,
    };

    /// <summary>Candidates whose inliers differ from the cold path's, and answers (verdict or first object) that differ.</summary>
    private static void Count(Dictionary<string, int> differ, string name, List<Candidate> cold, List<Candidate> other)
    {
        var inliers = cold.Where(c => c.EvidenceInliers is not null).ToDictionary(c => c.ObjectId, c => c.EvidenceInliers);
        int changed = other.Count(c => c.EvidenceInliers is not null && inliers.GetValueOrDefault(c.ObjectId) != c.EvidenceInliers);
        differ[name + "_inliers"] = differ.GetValueOrDefault(name + "_inliers") + changed;
        bool answer = cold[0].Verdict != other[0].Verdict || cold[0].ObjectId != other[0].ObjectId;
        differ[name + "_answers"] = differ.GetValueOrDefault(name + "_answers") + (answer ? 1 : 0);
    }

    private static T Time<T>(Dictionary<string, List<double>> parts, string name, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        (parts.TryGetValue(name, out var list) ? list : parts[name] = []).Add(clock.Elapsed.TotalMilliseconds);
        return result;
    }

    private static double Quantile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(fraction * sorted.Count))];
    }
}
