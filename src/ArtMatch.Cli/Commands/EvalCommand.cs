using System.CommandLine;
using System.Text.Json;
using ArtMatch.Cli.Reports;
using ArtMatch.Core;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Evaluation;
using ArtMatch.Server.Hosting;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

internal static class EvalCommand
{
    public static Command Create()
    {
        var set = new Option<string>("--set") { Description = "Evaluation set folder (catalog.csv, queries.csv)", Required = true };
        var baseline = new Option<bool>("--baseline") { Description = "Evaluate the plain recipe instead (224 px centre crop, average pooling, cosine, no re-ranking)" };
        var withBaseline = new Option<bool>("--with-baseline") { Description = "Also evaluate the plain recipe and report it beside the pipeline (under \"baseline\")" };
        var report = new Option<string?>("--report") { Description = "Write an HTML report of every wrong answer to this file" };
        var details = new Option<string?>("--details") { Description = "Write every query's candidates as JSON lines to this file" };
        var searchRecall = new Option<bool>("--search-recall")
        {
            Description = "Also report how much the SIFT first stage loses against brute force: of the matchable queries whose expected picture gets "
                + $"at least {SiftSearchRecall.MinInliers} verified SIFT inliers when matched directly, the share whose expected picture the visual-word search passes to verification",
        };
        var verify = new Option<bool>("--verify")
        {
            Description = "Also verify 1:1: every matchable query against its object (genuine) and against the most similar wrong object (near-miss impostor); "
                + "figures under \"verify\" (true and false accept rates at the calibrated thresholds, true accept rate at 1 % false accepts)",
        };
        var recallStore = new Option<string?>("--search-recall-store")
        {
            Description = "Measure only the SIFT search recall (as --search-recall), on this store: one imported from the set's catalogue with SIFT on "
                + "(import gives missing SIFT features and learns the vocabulary again when the config asks for another number of words); no fresh store, no matching",
        };
        var parallel = new Option<int?>("--parallel")
        {
            // One at a time by default: the latency figures are then each photo's own, what an officer
            // waits for on a server with nothing else to do; more at once finish sooner but share the cores.
            Description = "Queries matched at once (default 1, so latency figures are per photo; the SIFT search recall, which times nothing, defaults to the processor count)",
        };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var full = CliSupport.FullOption();
        var command = new Command("eval", "Build a fresh store from an evaluation set's catalogue, run every query, report top1, recall@5, mAP, false-match and miss rates, time per stage and where the cascade answered")
            { set, baseline, withBaseline, verify, report, details, searchRecall, recallStore, parallel, json, config, CliSupport.IndexOption(), full };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var evalSet = EvalSet.Load(parse.GetValue(set)!);
            var configValue = CliSupport.LoadConfig(parse, config);
            if (parse.GetValue(recallStore) is { } storeDir)
                return RecallOnly(evalSet, configValue, storeDir, parse.GetValue(parallel) ?? Environment.ProcessorCount, parse.GetValue(json));
            SiftSearchRecall? recall = null;
            Action<ArtMatchEngine>? measureRecall = parse.GetValue(searchRecall) && !parse.GetValue(baseline)
                ? engine => recall = engine.Sift is { } sift
                    ? SiftSearchRecall.Measure(sift, engine.RequireStore(), evalSet.Queries, bytes => engine.Describer.Decode(bytes), parse.GetValue(parallel) ?? Environment.ProcessorCount)
                    : throw new InvalidOperationException("--search-recall needs the SIFT search, which the config turns off (sift: null).")
                : null;
            int queriesAtOnce = parse.GetValue(parallel) ?? 1;
            var main = Evaluate(evalSet, configValue, parse.GetValue(baseline), queriesAtOnce, parse.GetValue(report), parse.GetValue(details), measureRecall,
                parse.GetValue(verify) && !parse.GetValue(baseline));
            EvalReport? plain = parse.GetValue(withBaseline) && !parse.GetValue(baseline)
                ? Evaluate(evalSet, configValue, baseline: true, queriesAtOnce, null, null)
                : null;

            if (parse.GetValue(json))
            {
                var output = ReportJson(main);
                output["parallel"] = queriesAtOnce;
                if (plain is not null)
                    output["baseline"] = ReportJson(plain);
                if (recall is not null)
                    output["sift_search_recall"] = RecallJson(recall, configValue);
                CliSupport.WriteJson(output);
            }
            else
            {
                PrintTable(main, plain);
                if (main.Verify is { } v)
                    AnsiConsole.MarkupLineInterpolated($"verify: TAR {v.TrueAcceptRate:F3}, FAR {v.FalseAcceptRate:F3} at the calibrated thresholds; TAR {v.TrueAcceptRateAtFar1Pct:F3} at FAR 1 % ({v.GenuinePairs} genuine, {v.ImpostorPairs} near-miss impostor pairs)");
                if (recall is not null)
                    AnsiConsole.WriteLine($"SIFT search recall: {recall.Shortlisted} of {recall.Eligible} queries with >= {SiftSearchRecall.MinInliers} direct inliers "
                        + $"have their picture in the shortlist of {configValue.Sift?.Shortlist} ({recall.Recall:P1})");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The SIFT search recall on an existing store, without matching (iterating on the first stage).</summary>
    private static int RecallOnly(EvalSet set, ArtMatchConfig config, string storeDir, int parallel, bool json)
    {
        if (!Directory.Exists(storeDir))
            throw new DirectoryNotFoundException($"No store at {storeDir}: import the set's catalogue into it first (with SIFT on in the config).");
        using var engine = ArtMatchEngine.Create(config).OpenStore(storeDir);
        var sift = engine.Sift ?? throw new InvalidOperationException("--search-recall-store needs the SIFT search, which the config turns off (sift: null).");
        if (engine.RequireStore().SiftVocabulary is null)
            throw new InvalidOperationException($"The store at {storeDir} has no SIFT vocabulary: import the catalogue into it with SIFT on in the config.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var recall = SiftSearchRecall.Measure(sift, engine.RequireStore(), set.Queries, bytes => engine.Describer.Decode(bytes), parallel);
        var output = RecallJson(recall, config);
        output["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        if (json)
            CliSupport.WriteJson(output);
        else
            AnsiConsole.WriteLine($"SIFT search recall: {recall.Shortlisted} of {recall.Eligible} queries with >= {SiftSearchRecall.MinInliers} direct inliers "
                + $"have their picture in the shortlist of {config.Sift?.Shortlist} ({recall.Recall:P1}); at 20/40/80/160: "
                + string.Join(" / ", new[] { 20, 40, 80, 160 }.Select(k => recall.RecallAt(k).ToString("P1"))));
        return 0;
    }

    private static Dictionary<string, object> RecallJson(SiftSearchRecall recall, ArtMatchConfig config) => new()
    {
        ["recall_at"] = new[] { 10, 20, 40, 80, 160 }.ToDictionary(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture), k => Math.Round(recall.RecallAt(k), 4)),
        ["vocabulary_words"] = config.Sift?.VocabularyWords ?? 0,
        ["query_nearest_words"] = config.Sift?.QueryNearestWords ?? 0,
        ["min_inliers"] = SiftSearchRecall.MinInliers,
        ["shortlist"] = config.Sift?.Shortlist ?? 0,
        ["matchable_queries"] = recall.Queries,
        ["eligible"] = recall.Eligible,
        ["shortlisted"] = recall.Shortlisted,
        ["recall"] = Math.Round(recall.Recall, 4),
        ["missed"] = recall.Missed,
    };

    private static EvalReport Evaluate(EvalSet set, ArtMatchConfig config, bool baseline, int parallel, string? reportPath, string? detailsPath,
        Action<ArtMatchEngine>? afterRun = null, bool verify = false)
    {
        var storeDir = Path.Combine(Path.GetTempPath(), "artmatch-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var engine = ArtMatchEngine.Create(config, baseline).OpenStore(storeDir);
            var runner = new EvalRunner(engine.Importer!, engine.RequireMatcher())
            {
                Parallelism = parallel,
                Verifier = verify ? engine.RequireVerifier() : null,
            };
            EvalReport? report = null;
            string name = baseline ? "baseline" : "artmatch";
            CliSupport.ProgressConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    report = runner.Run(set, name, baseline ? new { describer = engine.Describer.Settings } : config,
                        new SyncProgress<(string Stage, int Done, int Total)>(p =>
                        {
                            if (p.Stage is not ("catalogue" or "queries"))
                            {
                                CliSupport.ProgressConsole.MarkupLineInterpolated($"[yellow]{p.Stage}[/]");
                                return;
                            }
                            if (!tasks.TryGetValue(p.Stage, out var task))
                                tasks[p.Stage] = task = context.AddTask($"{name}: {p.Stage}", maxValue: p.Total);
                            task.Value = p.Done;
                        }));
                });
            afterRun?.Invoke(engine);
            if (reportPath is not null)
                EvalHtmlReport.Write(reportPath, report!, set, engine.Decoder);
            if (detailsPath is not null)
                WriteDetails(detailsPath, report!);
            return report!;
        }
        finally
        {
            try
            {
                Directory.Delete(storeDir, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }

    public static Dictionary<string, object> MetricJson(MetricSummary m) => new()
    {
        ["queries"] = m.Queries,
        ["matchable"] = m.Matchable,
        ["no_match_queries"] = m.NoMatchQueries,
        ["top1"] = Math.Round(m.Top1, 4),
        ["recall_at_5"] = Math.Round(m.RecallAt5, 4),
        ["map"] = Math.Round(m.Map, 4),
        ["false_match_rate"] = Math.Round(m.FalseMatchRate, 4),
        ["miss_rate"] = Math.Round(m.MissRate, 4),
        ["possible_rate_on_no_match"] = Math.Round(m.PossibleRateOnNoMatch, 4),
        // The share of innocent photos (no catalogue object in them) answered "possible": an officer's extra work.
        ["possible_rate"] = Math.Round(m.PossibleRateOnNoMatch, 4),
        ["latency_p50_ms"] = Math.Round(m.LatencyP50Ms, 1),
        ["latency_p95_ms"] = Math.Round(m.LatencyP95Ms, 1),
    };

    public static Dictionary<string, object> ReportJson(EvalReport report)
    {
        var output = new Dictionary<string, object>
        {
            ["set"] = report.SetDirectory,
            ["pipeline"] = report.Pipeline,
            ["model"] = report.ModelId,
        };
        foreach (var (key, value) in MetricJson(report.Overall))
            output[key] = value;
        output["latency"] = new { p50_ms = Math.Round(report.Overall.LatencyP50Ms, 1), p95_ms = Math.Round(report.Overall.LatencyP95Ms, 1) };
        output["per_kind"] = report.PerKind.ToDictionary(kv => kv.Key, kv => MetricJson(kv.Value));
        // Mean and quantiles of each stage over the queries that ran it, and how many queries each step answered.
        output["stages"] = StageSummary.Of(report.Outcomes).ToDictionary(s => s.Stage, s => new
        {
            runs = s.Runs, mean_ms = Math.Round(s.MeanMs, 2), p50_ms = Math.Round(s.P50Ms, 2), p95_ms = Math.Round(s.P95Ms, 2),
        });
        output["answered_after"] = report.Outcomes.Where(o => o.AnsweredAfter.Length > 0).GroupBy(o => o.AnsweredAfter).ToDictionary(g => g.Key, g => g.Count());
        output["cpu_ms_per_query"] = Math.Round(report.CpuMillisecondsPerQuery, 1);
        output["speculation"] = SpeculationJson(report.Outcomes);
        output["import"] = new { images = report.Import.ImagesAdded, seconds = Math.Round(report.Import.Seconds, 1), images_per_second = Math.Round(report.Import.ImagesPerSecond, 1), skipped = report.Import.Failures.Count, whitened = report.Import.WhiteningLearned };
        if (report.Verify is { } v)
            output["verify"] = VerifyJson(v);
        output["settings"] = report.Settings;
        return output;
    }

    /// <summary>
    /// What computing the escalation's inputs ahead of need did over the queries: how many queries
    /// speculated (an idle core was there), the parts a stage took from it, the parts no stage needed
    /// (wasted work), and the speculation's wall time (on its own core) per query that speculated.
    /// </summary>
    private static Dictionary<string, object> SpeculationJson(IReadOnlyList<QueryOutcome> outcomes)
    {
        var started = outcomes.Select(o => o.Timings.Speculation).Where(s => s.Started).ToList();
        return new()
        {
            ["queries"] = started.Count,
            ["parts_used"] = started.Sum(s => s.Used),
            ["parts_wasted"] = started.Sum(s => s.Wasted),
            ["work_ms_mean"] = started.Count == 0 ? 0 : Math.Round(started.Average(s => s.Work.TotalMilliseconds), 2),
        };
    }

    public static Dictionary<string, object> VerifyJson(VerifySummary v) => new()
    {
        ["genuine_pairs"] = v.GenuinePairs,
        ["impostor_pairs"] = v.ImpostorPairs,
        ["true_accept_rate"] = Math.Round(v.TrueAcceptRate, 4),
        ["false_accept_rate"] = Math.Round(v.FalseAcceptRate, 4),
        ["genuine_uncertain_rate"] = Math.Round(v.GenuineUncertainRate, 4),
        ["impostor_uncertain_rate"] = Math.Round(v.ImpostorUncertainRate, 4),
        ["true_accept_rate_at_far_1pct"] = Math.Round(v.TrueAcceptRateAtFar1Pct, 4),
        ["score_at_far_1pct"] = Math.Round(v.ScoreAtFar1Pct, 4),
    };

    private static void WriteDetails(string path, EvalReport report)
    {
        using var writer = new StreamWriter(path);
        foreach (var o in report.Outcomes)
        {
            writer.WriteLine(JsonSerializer.Serialize(new
            {
                query = Path.GetFileName(o.Query.ImagePath),
                expected = o.Query.ExpectedObjectIds,
                kind = o.Query.Kind,
                verdict = o.Verdict,
                ms = Math.Round(o.Milliseconds, 1),
                answered_after = o.AnsweredAfter,
                verify = o.Verify,
                stages = o.Timings.Stages().ToDictionary(t => t.Stage, t => Math.Round(t.Elapsed.TotalMilliseconds, 1)),
                speculation = o.Timings.Speculation is { Started: true } s ? new { used = s.Used, wasted = s.Wasted, work_ms = Math.Round(s.Work.TotalMilliseconds, 1) } : null,
                candidates = o.Candidates.Select(c => new { id = c.ObjectId, score = c.Score, sim = c.Similarity, inliers = c.Inliers, kp = c.KeypointInliers, sift = c.SiftInliers, evidence = c.Evidence, ev_sift = c.EvidenceInliers, before_evidence = c.VerdictBeforeEvidence, stand_out_z = c.StandOut?.ZScore, stand_out_gap = c.StandOut?.GapRatio, colour = c.ColourShift, rank = c.RankScore, source = c.Source.ToString() }),
            }, new JsonSerializerOptions(ArtMatchConfig.JsonOptions) { WriteIndented = false }));
        }
    }

    private static void PrintTable(EvalReport main, EvalReport? plain)
    {
        var table = new Table().AddColumns("pipeline", "kind", "queries", "top1", "recall@5", "mAP", "false match", "miss", "p50 ms", "p95 ms");
        foreach (var report in plain is null ? [main] : new[] { plain, main })
        {
            AddRow(table, report.Pipeline, "ALL", report.Overall);
            foreach (var (kind, m) in report.PerKind)
                AddRow(table, report.Pipeline, kind, m);
        }
        AnsiConsole.Write(table);
        var answered = main.Outcomes.Where(o => o.AnsweredAfter.Length > 0).GroupBy(o => o.AnsweredAfter).Select(g => $"{g.Key} {g.Count()}");
        AnsiConsole.MarkupLineInterpolated($"{main.Pipeline}: answered after {string.Join(", ", answered)}");
        foreach (var stage in StageSummary.Of(main.Outcomes))
            AnsiConsole.MarkupLineInterpolated($"  {stage.Stage,-10} runs {stage.Runs,5}  mean {stage.MeanMs,7:F1} ms  p50 {stage.P50Ms,7:F1} ms  p95 {stage.P95Ms,7:F1} ms");
    }

    private static void AddRow(Table table, string pipeline, string kind, MetricSummary m) =>
        table.AddRow(pipeline, Markup.Escape(kind), m.Queries.ToString(), m.Top1.ToString("F3"), m.RecallAt5.ToString("F3"), m.Map.ToString("F3"),
            m.FalseMatchRate.ToString("F3"), m.MissRate.ToString("F3"), m.LatencyP50Ms.ToString("F0"), m.LatencyP95Ms.ToString("F0"));
}
