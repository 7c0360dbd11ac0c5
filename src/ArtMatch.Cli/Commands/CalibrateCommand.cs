using System.CommandLine;
using ArtMatch.Core;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

internal static class CalibrateCommand
{
    public static Command Create()
    {
        var store = CliSupport.StoreOption();
        var samples = new Option<int>("--samples") { Description = "Synthetic photos made from the catalogue pictures (several per picture when there are more photos than pictures)", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Random seed (calibration is reproducible)", DefaultValueFactory = _ => 1 };
        var targetFalse = new Option<double>("--false-match-rate") { Description = "Share of impostor photos allowed to reach \"match\"", DefaultValueFactory = _ => 0.02 };
        var targetPossible = new Option<double>("--possible-rate") { Description = "Share of impostor photos allowed to reach \"possible\" (0.5: the impostor median; lower means fewer looks and more missed objects)", DefaultValueFactory = _ => 0.5 };
        var verify = new Option<bool>("--verify") { Description = "Choose the 1:1 verification thresholds (same/uncertain) instead: synthetic views against their own object and against the most similar other object (--false-match-rate then defaults to 0.01)" };
        var evidenceRate = new Option<double>("--evidence-rate")
        {
            Description = "With --verify: share of near-miss impostors whose 1:1 score may back Match's \"possible\" (the evidence floor; lower means fewer looks and more missed objects)",
            DefaultValueFactory = _ => 0.10,
        };
        var siftEvidence = new Option<bool>("--sift-evidence")
        {
            Description = "Choose the SIFT inliers a \"possible\" needs instead (match.sift_evidence.floor): synthetic views against their own object and against the candidates Match "
                + "ranks first with it left out; the floor only --evidence-rate of those near-miss trials reach",
        };
        var write = new Option<string?>("--write") { Description = "Write a config file with the chosen thresholds (other settings from --config)" };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var cascadeChange = new Option<double>("--cascade-change-rate") { Description = "Share of trials whose answer the cascade may change against running every stage", DefaultValueFactory = _ => 0.005 };
        var noMatchChange = new Option<double>("--cascade-no-match-change-rate") { Description = "Share of trials whose answer the cascade's \"no match\" stop may change (0: none; a wrong \"no match\" lets a catalogued object through)", DefaultValueFactory = _ => 0 };
        var traceFile = new Option<string?>("--cascade-traces") { Description = "Write every trial's answer after each cascade step (JSON lines: genuine, then its leave-one-out impostor), to study the stopping rules" };
        var unverified = new Option<bool>("--cascade-unverified") { Description = "Also choose the \"no match\" stop for photos nothing lines up with geometrically (off by default: it changed development answers)" };
        var cascadeOnly = new Option<bool>("--cascade-only") { Description = "Keep the config's verdict thresholds (the stand-out rule included); choose only the cascade's stopping rules for them" };
        var standOutOnly = new Option<bool>("--stand-out-only") { Description = "Keep the config's verdict thresholds and cascade; choose only the stand-out a \"possible\" needs (match.thresholds.min_stand_out) for them" };
        var standOutRate = new Option<double>("--stand-out-impostor-rate") { Description = "Share of all impostor trials the stand-out rule may leave \"possible\"", DefaultValueFactory = _ => 0.15 };
        var standOutLoss = new Option<double>("--stand-out-genuine-loss") { Description = "Share of all genuine trials the stand-out rule may turn from \"possible\" into \"no match\" (wins over --stand-out-impostor-rate)", DefaultValueFactory = _ => 0.02 };
        var command = new Command("calibrate", "Choose verdict thresholds and the cascade's stopping rules from synthetic photos of the store's own catalogue pictures (leave-one-out impostors)")
            { store, samples, seed, targetFalse, targetPossible, cascadeChange, noMatchChange, cascadeOnly, standOutOnly, standOutRate, standOutLoss, traceFile, unverified, verify, siftEvidence, evidenceRate, write, json, config };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var configValue = ArtMatchConfig.Load(parse.GetValue(config));
            using var engine = Server.Hosting.ArtMatchEngine.Create(configValue).OpenStore(parse.GetValue(store)!);
            if (parse.GetValue(siftEvidence))
                return CalibrateSiftEvidence(parse, engine, configValue, samples, seed, parse.GetValue(evidenceRate), write, json);
            if (parse.GetValue(verify))
                return CalibrateVerify(parse, engine, configValue, samples, seed, parse.GetResult(targetFalse) is { Implicit: false } ? parse.GetValue(targetFalse) : null,
                    parse.GetValue(evidenceRate), write, json);
            var calibrator = new Calibrator(engine.RequireMatcher(), engine.RequireStore()) { TargetFalseMatchRate = parse.GetValue(targetFalse), PossibleImpostorRate = parse.GetValue(targetPossible), TargetCascadeChangeRate = parse.GetValue(cascadeChange), TargetNoMatchChangeRate = parse.GetValue(noMatchChange), KeepThresholds = parse.GetValue(cascadeOnly) || parse.GetValue(standOutOnly), ChooseUnverifiedRule = parse.GetValue(unverified),
                StandOut = parse.GetValue(cascadeOnly) ? null : new StandOutCalibrator { ImpostorPossibleRate = parse.GetValue(standOutRate), GenuineLossRate = parse.GetValue(standOutLoss) } };
            CalibrationResult? result = null;
            CliSupport.ProgressConsole.Progress().Start(context =>
            {
                int total = engine.RequireStore().ObjectCount == 0 ? 0 : parse.GetValue(samples);
                var task = context.AddTask("calibrating", maxValue: Math.Max(1, total));
                result = calibrator.Calibrate(parse.GetValue(samples), parse.GetValue(seed), new SyncProgress<int>(done => task.Value = done));
            });
            if (parse.GetValue(traceFile) is { } tracePath)
                File.WriteAllLines(tracePath, result!.Traces.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { trial = i / 2, genuine = i % 2 == 0, steps = t })));
            if (parse.GetValue(write) is { } path)
                File.WriteAllText(path, (configValue with { Match = configValue.Match with { Thresholds = result!.Thresholds, Cascade = (parse.GetValue(standOutOnly) ? null : result.Cascade?.Rules) ?? configValue.Match.Cascade } }).ToJson());
            Report(result!, parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    /// <summary>The chosen thresholds, stand-out rule and cascade rules, and what they do to the trials: as JSON, or as lines of text.</summary>
    private static void Report(CalibrationResult result, bool json)
    {
        var summary = new
        {
            pairs = result.Pairs,
            thresholds = result.Thresholds,
            genuine_match_rate = Math.Round(result.GenuineMatchRate, 4),
            genuine_possible_rate = Math.Round(result.GenuinePossibleRate, 4),
            impostor_match_rate = Math.Round(result.ImpostorMatchRate, 4),
            impostor_possible_rate = Math.Round(result.ImpostorPossibleRate, 4),
            genuine_median = Calibrator.Quantile(result.GenuineScores, 0.5),
            impostor_median = Calibrator.Quantile(result.ImpostorScores, 0.5),
            stand_out = result.StandOut is { } so ? new
            {
                statistic = so.Chosen.Statistic, min_stand_out = so.Chosen.MinStandOut, by_statistic = so.ByStatistic.Select(StandOutSummary),
            } : null,
            cascade = result.Cascade is { } c ? new
            {
                stop_match_margin = c.Rules.StopMatchMargin, stop_no_match_below = c.Rules.StopNoMatchBelow, stop_no_match_below_after = c.Rules.StopNoMatchBelowAfter, stop_unverified_below_after = c.Rules.StopUnverifiedBelowAfter, escalation = c.Rules.Escalation,
                trials = c.Trials, changed_rate = Math.Round(c.ChangedRate, 4), answered_after = c.AnsweredAfter,
            } : null,
        };
        if (json)
        {
            CliSupport.WriteJson(summary);
            return;
        }
        AnsiConsole.MarkupLineInterpolated($"match >= {result.Thresholds.Match:F3}, possible >= {result.Thresholds.Possible:F3} from {result.Pairs} synthetic pairs (genuine match rate {summary.genuine_match_rate:P1}, impostor match rate {summary.impostor_match_rate:P1}, impostor possible rate {summary.impostor_possible_rate:P1})");
        if (result.StandOut?.Chosen is { } chosen)
            AnsiConsole.MarkupLineInterpolated($"stand-out: {chosen.Statistic} >= {chosen.MinStandOut:F3} for \"possible\" (impostor possible rate {chosen.ImpostorPossibleRateBefore:P1} -> {chosen.ImpostorPossibleRateAfter:P1}, genuine views lost {chosen.GenuineLossRate:P1})");
        if (result.Cascade is { } rules)
            AnsiConsole.MarkupLineInterpolated($"cascade: stop on a match leading by >= {rules.Rules.StopMatchMargin:F2}, on no match below {string.Join(", ", (rules.Rules.StopNoMatchBelowAfter ?? []).Select(kv => $"{kv.Value:F2} after {kv.Key}"))}, with nothing lining up below {string.Join(", ", (rules.Rules.StopUnverifiedBelowAfter ?? []).Select(kv => $"{kv.Value:F2} after {kv.Key}"))}; answer changed in {rules.ChangedRate:P2} of {rules.Trials} trials; answered after {string.Join(", ", rules.AnsweredAfter.Select(kv => $"{kv.Key} {kv.Value}"))}");
    }

    private static object StandOutSummary(StandOutTrialCounts c) => new
    {
        statistic = c.Statistic, min_stand_out = c.MinStandOut, genuine = c.Genuine, impostors = c.Impostors,
        genuine_possible = c.GenuinePossible, genuine_lost = c.GenuineLost, genuine_loss_rate = Math.Round(c.GenuineLossRate, 4),
        impostor_possible_before = c.ImpostorPossibleBefore, impostor_possible_after = c.ImpostorPossibleAfter,
        impostor_possible_rate_before = Math.Round(c.ImpostorPossibleRateBefore, 4), impostor_possible_rate_after = Math.Round(c.ImpostorPossibleRateAfter, 4),
    };

    private static int CalibrateVerify(ParseResult parse, Server.Hosting.ArtMatchEngine engine, ArtMatchConfig configValue, Option<int> samples, Option<int> seed,
                                       double? targetFalse, double evidenceRate, Option<string?> write, Option<bool> json)
    {
        // The verification default (1 %) is stricter than Match's: a wrong "same" clears a laundered certificate.
        var calibrator = new VerifyCalibrator(engine.RequireMatcher(), engine.RequireVerifier(), engine.RequireStore()) { TargetFalseAcceptRate = targetFalse ?? 0.01, EvidenceRate = evidenceRate };
        VerifyCalibrationResult? result = null;
        CliSupport.ProgressConsole.Progress().Start(context =>
        {
            int total = engine.RequireStore().ObjectCount == 0 ? 0 : parse.GetValue(samples);
            var task = context.AddTask("calibrating verification", maxValue: Math.Max(1, total));
            result = calibrator.Calibrate(parse.GetValue(samples), parse.GetValue(seed), new SyncProgress<int>(done => task.Value = done));
        });
        if (parse.GetValue(write) is { } path)
            File.WriteAllText(path, (configValue with { Match = configValue.Match with { Verification = configValue.Match.Verification with { Thresholds = result!.Thresholds } } }).ToJson());
        var summary = new
        {
            pairs = result!.Pairs,
            verify_thresholds = result.Thresholds,
            target_false_accept_rate = calibrator.TargetFalseAcceptRate,
            genuine_same_rate = Math.Round(result.GenuineSameRate, 4),
            impostor_same_rate = Math.Round(result.ImpostorSameRate, 4),
            genuine_median = Calibrator.Quantile(result.GenuineScores, 0.5),
            impostor_median = Calibrator.Quantile(result.ImpostorScores, 0.5),
            evidence_rate = calibrator.EvidenceRate,
            genuine_evidence_rate = Math.Round(result.GenuineEvidenceRate, 4),
            impostor_evidence_rate = Math.Round(result.ImpostorEvidenceRate, 4),
            impostor_quantiles = new[] { 0.5, 0.75, 0.8, 0.85, 0.9, 0.95 }.ToDictionary(q => q.ToString(System.Globalization.CultureInfo.InvariantCulture), q => Calibrator.Quantile(result.ImpostorScores, q)),
            genuine_quantiles = new[] { 0.05, 0.1, 0.2, 0.5 }.ToDictionary(q => q.ToString(System.Globalization.CultureInfo.InvariantCulture), q => Calibrator.Quantile(result.GenuineScores, q)),
        };
        if (parse.GetValue(json))
            CliSupport.WriteJson(summary);
        else
            AnsiConsole.MarkupLineInterpolated($"same >= {result.Thresholds.Same:F3}, uncertain >= {result.Thresholds.Uncertain:F3} from {result.Pairs} synthetic pairs (genuine same rate {summary.genuine_same_rate:P1}, impostor same rate {summary.impostor_same_rate:P1})");
        return 0;
    }

    private static int CalibrateSiftEvidence(ParseResult parse, Server.Hosting.ArtMatchEngine engine, ArtMatchConfig configValue, Option<int> samples, Option<int> seed,
                                             double evidenceRate, Option<string?> write, Option<bool> json)
    {
        var matcher = engine.RequireMatcher();
        var store = engine.RequireStore();
        var evidence = matcher.SiftEvidence ?? engine.NewSiftEvidence(configValue.Match.SiftEvidence);
        // The look-alikes are Match's answers on the score alone: the check must not pick them itself.
        matcher.SiftEvidence = null;
        var calibrator = new SiftEvidenceCalibrator(matcher, evidence, store) { EvidenceRate = evidenceRate };
        SiftEvidenceCalibrationResult? result = null;
        CliSupport.ProgressConsole.Progress().Start(context =>
        {
            int total = store.ObjectCount == 0 ? 0 : parse.GetValue(samples);
            var task = context.AddTask("calibrating SIFT evidence", maxValue: Math.Max(1, total));
            result = calibrator.Calibrate(parse.GetValue(samples), parse.GetValue(seed), new SyncProgress<int>(done => task.Value = done));
        });
        if (parse.GetValue(write) is { } path)
            File.WriteAllText(path, (configValue with { Match = configValue.Match with { SiftEvidence = evidence.Settings with { Floor = result!.Floor } } }).ToJson());
        var quantiles = new[] { 0.5, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99 };
        var summary = new
        {
            pairs = result!.Pairs,
            floor = result.Floor,
            candidates = evidence.Settings.Candidates,
            evidence_rate = calibrator.EvidenceRate,
            genuine_rate = Math.Round(result.GenuineRate, 4),
            impostor_rate = Math.Round(result.ImpostorRate, 4),
            impostor_rate_among_possible = Math.Round(result.ImpostorRateAmongPossible, 4),
            impostor_possible_or_match = result.ImpostorVerdicts.Count(v => v != Verdict.NoMatch),
            impostor_quantiles = quantiles.ToDictionary(q => q.ToString(System.Globalization.CultureInfo.InvariantCulture), result.ImpostorQuantile),
            genuine_quantiles = new[] { 0.05, 0.1, 0.2, 0.3, 0.5 }.ToDictionary(q => q.ToString(System.Globalization.CultureInfo.InvariantCulture), result.GenuineQuantile),
        };
        if (parse.GetValue(json))
            CliSupport.WriteJson(summary);
        else
            AnsiConsole.MarkupLineInterpolated($"SIFT evidence floor {result.Floor} inliers from {result.Pairs} synthetic views (genuine reaching it {result.GenuineRate:P1}, near-miss impostors {result.ImpostorRate:P1})");
        return 0;
    }
}
