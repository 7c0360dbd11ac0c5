using System.CommandLine;
using System.Diagnostics;
using System.Numerics.Tensors;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

internal static class EmbedCommands
{
    public static Command Embed()
    {
        var image = new Argument<string>("image") { Description = "Image file (JPEG, PNG, WebP, TIFF, GIF, AVIF)" };
        var baseline = new Option<bool>("--baseline") { Description = "Use the plain recipe (224 px centre crop, average pooling)" };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("embed", "Embed one image with the model and print its vector summary") { image, baseline, json, config };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            using var engine = CliSupport.Engine(parse, config, parse.GetValue(baseline));
            var bytes = CliSupport.ReadImage(parse.GetValue(image)!);
            var clock = Stopwatch.StartNew();
            var vector = engine.Describer.Embed(bytes);
            double ms = clock.Elapsed.TotalMilliseconds;
            float norm = TensorPrimitives.Norm(vector);
            if (parse.GetValue(json))
            {
                CliSupport.WriteJson(new { model = engine.Describer.VectorSpaceId, dimension = vector.Length, norm, milliseconds = ms, vector });
                return 0;
            }
            var table = new Table().AddColumns("model", "dimension", "L2 norm", "ms");
            table.AddRow(engine.Describer.VectorSpaceId, vector.Length.ToString(), norm.ToString("F6"), ms.ToString("F1"));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    public static Command Similarity()
    {
        var first = new Argument<string>("a") { Description = "First image" };
        var second = new Argument<string>("b") { Description = "Second image" };
        var baseline = new Option<bool>("--baseline") { Description = "Use the plain recipe" };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("similarity", "Cosine similarity of two images' embeddings") { first, second, baseline, json, config };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            using var engine = CliSupport.Engine(parse, config, parse.GetValue(baseline));
            var a = engine.Describer.Embed(CliSupport.ReadImage(parse.GetValue(first)!));
            var b = engine.Describer.Embed(CliSupport.ReadImage(parse.GetValue(second)!));
            float cosine = TensorPrimitives.CosineSimilarity(a, b);
            if (parse.GetValue(json))
                CliSupport.WriteJson(new { model = engine.Describer.VectorSpaceId, cosine });
            else
                Console.WriteLine(cosine.ToString("F4"));
            return 0;
        }));
        return command;
    }
}
