using System.CommandLine;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Matching;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

internal static class MatchCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "Photo to check" };
        var store = CliSupport.StoreOption(required: false);
        var top = new Option<int>("--top") { Description = "Candidates to return", DefaultValueFactory = _ => 5 };
        var registry = new Option<string[]>("--registry") { Description = "Only objects from these registries", AllowMultipleArgumentsPerToken = true };
        var status = new Option<string[]>("--status") { Description = "Only objects with these statuses (stolen, missing, recovered, red_list_exemplar)", AllowMultipleArgumentsPerToken = true };
        var server = new Option<string?>("--server") { Description = "Ask a running server (HOST:PORT) over gRPC instead of opening a store" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --server (or ARTMATCH_API_KEY)" };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("match", "Check a photo against a catalogue store or server: ranked candidates and a verdict") { image, store, server, apiKey, top, registry, status, json, config, CliSupport.IndexOption(), CliSupport.FullOption() };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            if (parse.GetValue(server) is { } address)
                return RemoteMatch.Run(address, parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("ARTMATCH_API_KEY"),
                    CliSupport.ReadImage(parse.GetValue(image)!), parse.GetValue(top), parse.GetValue(registry), parse.GetValue(json));
            if (parse.GetValue(store) is not { } storeDir)
                throw new ArgumentException("Give --store DIR (an embedded catalogue store) or --server HOST:PORT.");
            var filter = new SearchFilter
            {
                Registries = parse.GetValue(registry) is { Length: > 0 } r ? r : null,
                Statuses = parse.GetValue(status) is { Length: > 0 } s ? s.Select(Core.Import.CatalogFile.ParseStatus).ToArray() : null,
            };
            using var engine = CliSupport.Engine(parse, config).OpenStore(storeDir);
            var result = engine.RequireMatcher().Match(CliSupport.ReadImage(parse.GetValue(image)!), new MatchRequest { TopK = parse.GetValue(top), Filter = filter });
            if (parse.GetValue(json))
                CliSupport.WriteJson(ToJson(result));
            else
                Print(result);
            return 0;
        }));
        return command;
    }

    public static object ToJson(MatchResult result) => new
    {
        verdict = result.Verdict,
        best_score = result.BestScore,
        model = result.ModelId,
        milliseconds = result.Milliseconds,
        answered_after = result.AnsweredAfter,
        stages = result.Timings.Stages().ToDictionary(s => s.Stage, s => Math.Round(s.Elapsed.TotalMilliseconds, 2)),
        candidates = result.Candidates.Select(c => new
        {
            object_id = c.ObjectId,
            title = c.Record?.Title,
            registry = c.Record?.Registry,
            status = c.Record?.Status,
            score = c.Score,
            similarity = c.Similarity,
            inliers = c.Inliers,
            keypoint_inliers = c.KeypointInliers,
            colour_shift = c.ColourShift,
            rank_score = c.RankScore,
            verdict = c.Verdict,
            matched_image_id = c.ImageId,
            found_by = c.Source.ToString(),
        }),
    };

    public static void Print(MatchResult result)
    {
        string colour = result.Verdict switch { Verdict.Match => "red", Verdict.Possible => "yellow", _ => "green" };
        AnsiConsole.MarkupLineInterpolated($"verdict: [bold {colour}]{VerdictName(result.Verdict)}[/] (best score {result.BestScore:F3}, {result.Milliseconds:F0} ms, {result.ModelId})");
        // Ordered by rank score (whitened similarity + geometry); the verdict is judged on score.
        var table = new Table().AddColumns("#", "object id", "title", "registry", "score", "rank score", "keypoints", "verdict", "matched image");
        int rank = 1;
        foreach (var c in result.Candidates)
        {
            table.AddRow((rank++).ToString(), Markup.Escape(c.ObjectId), Markup.Escape(c.Record?.Title ?? ""), Markup.Escape(c.Record?.Registry ?? ""),
                c.Score.ToString("F3"), c.RankScore.ToString("F3"), c.KeypointInliers.ToString(), VerdictName(c.Verdict), c.ImageId[..12]);
        }
        AnsiConsole.Write(table);
    }

    public static string VerdictName(Verdict verdict) => verdict switch
    {
        Verdict.Match => "match",
        Verdict.Possible => "possible",
        _ => "no match",
    };
}
