using System.CommandLine;
using System.Diagnostics;
using ArtMatch.Core;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Import;
using ArtMatch.Server.Hosting;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

internal static class CatalogCommands
{
    /// <summary>Exit code when the import finished but skipped bad entries.</summary>
    public const int ExitSkipped = 3;

    public static Command Import()
    {
        var store = CliSupport.StoreOption();
        var catalog = new Option<string>("--catalog") { Description = "Catalogue file: CSV or JSON with Object ID fields; images resolve relative to it", Required = true };
        var allowOutside = new Option<bool>("--allow-outside")
        {
            Description = "Read images outside the catalogue file's folder (../ paths, absolute paths, symlinks leading out); refused by default",
        };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("import", "Import catalogue records and their images into a store (idempotent; exit 3 if entries were skipped)")
        {
            store, catalog, allowOutside, json, config, CliSupport.IndexOption(),
        };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var entries = CatalogFile.Read(parse.GetValue(catalog)!, parse.GetValue(allowOutside));
            using var engine = CliSupport.Engine(parse, config).OpenStore(parse.GetValue(store)!);
            var summary = RunImport(engine, entries);
            if (parse.GetValue(json))
                CliSupport.WriteJson(summary);
            else
                PrintSummary(summary);
            return summary.Failures.Count > 0 ? ExitSkipped : 0;
        }));
        return command;
    }

    public static ImportSummary RunImport(ArtMatchEngine engine, IReadOnlyList<CatalogEntry> entries)
    {
        ImportSummary? summary = null;
        CliSupport.ProgressConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("importing", maxValue: Math.Max(1, entries.Count));
                summary = engine.Importer!.Import(entries, new SyncProgress<ImportProgress>(p => task.Value = p.EntriesDone));
            });
        return summary!;
    }

    public static void PrintSummary(ImportSummary summary)
    {
        var table = new Table().AddColumns("created", "updated", "unchanged", "images added", "images present", "skipped", "seconds", "images/s");
        table.AddRow(summary.ObjectsCreated.ToString(), summary.ObjectsUpdated.ToString(), summary.ObjectsUnchanged.ToString(),
            summary.ImagesAdded.ToString(), summary.ImagesAlreadyPresent.ToString(), summary.Failures.Count.ToString(),
            summary.Seconds.ToString("F1"), summary.ImagesPerSecond.ToString("F1"));
        AnsiConsole.Write(table);
        if (summary.WhiteningLearned)
            AnsiConsole.MarkupLine("the catalogue changed enough to learn its whitening again (search ranking)");
        foreach (var failure in summary.Failures)
            AnsiConsole.MarkupLineInterpolated($"[yellow]line {failure.Line}[/] {failure.ObjectId ?? "?"}: skipped: {failure.Message}");
    }

    public static Command Whiten()
    {
        var store = CliSupport.StoreOption();
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("whiten", "Learn the catalogue's whitening (search ranking) again from its current vectors; import does it when the catalogue changed by a quarter") { store, json, config, CliSupport.IndexOption() };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            using var engine = CliSupport.Engine(parse, config).OpenStore(parse.GetValue(store)!);
            var catalogStore = engine.RequireStore();
            var clock = Stopwatch.StartNew();
            bool learned = false;
            CliSupport.ProgressConsole.Status().Start("learning the whitening", _ => learned = catalogStore.RefreshWhitening(staleShare: 0));
            var result = new
            {
                learned,
                vectors = catalogStore.VectorCount,
                minimum_vectors = Whitening.MinVectors(catalogStore.Dimension),
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            };
            if (parse.GetValue(json))
                CliSupport.WriteJson(result);
            else if (learned)
                AnsiConsole.MarkupLineInterpolated($"whitening learned from {result.vectors} vectors in {result.seconds:F1} s");
            else if (catalogStore is Storage.SqliteCatalogStore { HasExternalIndex: true })
                AnsiConsole.MarkupLine("[yellow]not whitened[/]: the vectors are in Qdrant, which ranks by the plain cosine (README, \"Qdrant and the whitening\")");
            else
                AnsiConsole.MarkupLineInterpolated($"[yellow]not whitened[/]: {result.vectors} vectors, at least {result.minimum_vectors} needed");
            return learned ? 0 : 3;
        }));
        return command;
    }

    public static Command Reembed()
    {
        var store = CliSupport.StoreOption();
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("reembed", "Re-embed every stored image with the current model and settings") { store, json, config, CliSupport.IndexOption() };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            using var engine = CliSupport.Engine(parse, config).OpenStore(parse.GetValue(store)!);
            var catalogStore = engine.RequireStore();
            var images = catalogStore.EnumerateImages().ToList();
            var clock = Stopwatch.StartNew();
            var vectors = new (string ImageId, IReadOnlyList<float[]> Vectors)[images.Count];
            CliSupport.ProgressConsole.Progress().Start(context =>
            {
                var task = context.AddTask("re-embedding", maxValue: Math.Max(1, images.Count));
                Parallel.For(0, images.Count, i =>
                {
                    vectors[i] = (images[i].ImageId, engine.Importer!.Describe(images[i].Encoded, null).Vectors);
                    lock (task)
                        task.Increment(1);
                });
            });
            catalogStore.ReplaceEmbeddings(engine.Describer.VectorSpaceId, engine.Describer.Dimension, vectors);
            // The old whitening went with the old vectors.
            bool whitened = catalogStore.RefreshWhitening();
            // Keypoints do not depend on the model; images stored before keypoints existed get them now.
            int keypointsAdded = engine.Importer!.BackfillKeypoints();
            // Verification's local features come from the model: the new model's are made from the stored bytes.
            engine.Importer!.BackfillCatalogueLocal();
            var result = new { images = images.Count, model = engine.Describer.VectorSpaceId, whitened, keypoints_added = keypointsAdded, seconds = clock.Elapsed.TotalSeconds };
            if (parse.GetValue(json))
                CliSupport.WriteJson(result);
            else
                AnsiConsole.MarkupLineInterpolated($"re-embedded {images.Count} images with {result.model} in {result.seconds:F1} s");
            return 0;
        }));
        return command;
    }
}
