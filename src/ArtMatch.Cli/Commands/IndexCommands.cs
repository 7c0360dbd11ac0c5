using System.CommandLine;
using ArtMatch.Core;
using ArtMatch.Core.Configuration;
using ArtMatch.Qdrant;
using ArtMatch.Server.Hosting;
using ArtMatch.Storage;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary><c>artmatch index …</c>: moving a store's vectors between the embedded index and Qdrant.</summary>
internal static class IndexCommands
{
    public static Command Create()
    {
        var command = new Command("index", "Move a store's vectors between the embedded index and a Qdrant collection");
        command.Subcommands.Add(Export());
        return command;
    }

    private static Command Export()
    {
        var store = CliSupport.StoreOption();
        var to = new Option<string>("--to")
        {
            Description = "Target: qdrant://HOST:6334[/COLLECTION] or qdrants://… (TLS); API key from QDRANT_API_KEY or the config's index.api_key",
            Required = true,
        };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("export",
            "Copy an embedded store's vectors into the model's Qdrant collection (resumable: images already there are skipped; " +
            "images whose vectors the store does not keep are embedded again from their pictures)") { store, to, json, config };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var loaded = CliSupport.LoadConfig(parse, config);
            // The source is the store's own (embedded) side; the target gets the config's collection settings.
            using var engine = ArtMatchEngine.Create(loaded with { Index = new VectorIndexSettings() }).OpenStore(parse.GetValue(store)!);
            var source = (SqliteCatalogStore)engine.RequireStore();
            using var target = QdrantVectorIndex.Open(loaded.Index with { Url = parse.GetValue(to) }, engine.Describer.VectorSpaceId, engine.Describer.Dimension);
            ExportSummary? summary = null;
            CliSupport.ProgressConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"exporting to {target.Collection}", maxValue: Math.Max(1, source.ImageCount()));
                    summary = VectorExport.Copy(source, target, bytes => engine.Importer!.Describe(bytes, null).Vectors, new SyncProgress<int>(done => task.Value = done));
                });
            var result = new
            {
                collection = target.Collection,
                model = engine.Describer.VectorSpaceId,
                objects = summary!.Objects,
                images_copied = summary.ImagesCopied,
                images_present = summary.ImagesPresent,
                images_reembedded = summary.ImagesReembedded,
                images_without_vectors = summary.ImagesWithoutVectors,
                rows = summary.Rows,
                seconds = summary.Seconds,
            };
            if (parse.GetValue(json))
                CliSupport.WriteJson(result);
            else
            {
                var table = new Table().AddColumns("collection", "objects", "images copied", "already there", "re-embedded", "rows", "seconds");
                table.AddRow(result.collection, result.objects.ToString(), result.images_copied.ToString(), result.images_present.ToString(),
                    result.images_reembedded.ToString(), result.rows.ToString(), result.seconds.ToString("F1"));
                AnsiConsole.Write(table);
            }
            return summary.ImagesWithoutVectors > 0 ? CatalogCommands.ExitSkipped : 0;
        }));
        return command;
    }
}
