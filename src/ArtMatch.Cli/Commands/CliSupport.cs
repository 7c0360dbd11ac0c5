using System.CommandLine;
using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Imaging;
using ArtMatch.Server.Hosting;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary>Options every command shares, and how commands report results and failures.</summary>
internal static class CliSupport
{
    public static Option<string?> ConfigOption() => new("--config") { Description = "JSON config file (model, describer, match thresholds); defaults apply when absent" };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print machine-readable JSON on stdout instead of tables" };

    public static Option<string> StoreOption(bool required = true) => new("--store")
    {
        Description = "Catalogue store folder (SQLite); created when missing",
        Required = required,
    };

    public static void WriteJson(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, ArtMatchConfig.JsonOptions));

    /// <summary>Runs a command body, turning expected failures into a one-line message and exit code 1 (never a stack trace).</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                                      or ImageDecodeException or IOException or UnauthorizedAccessException
                                      or ArgumentException or InvalidOperationException or DllNotFoundException
                                      or Inference.OnnxRuntimeException or KeyNotFoundException
                                      or Core.Catalog.VectorIndexException)
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    public static ArtMatchEngine Engine(ParseResult parse, Option<string?> config, bool baseline = false) =>
        ArtMatchEngine.Create(LoadConfig(parse, config), baseline);

    /// <summary>Where a store's vectors live; every command that opens a store takes it (the config file's <c>index.url</c> otherwise).</summary>
    public static Option<string?> IndexOption() => new("--index")
    {
        Description = "Vector index: qdrant://HOST:6334[/COLLECTION] or qdrants://… (TLS; API key from QDRANT_API_KEY); default the embedded index",
    };

    /// <summary>Every stage for every photo instead of the cascade (the config file's <c>match.cascade.full</c> otherwise).</summary>
    public static Option<bool> FullOption() => new("--full")
    {
        Description = "Run every matching stage for every photo (regions, turns, keypoints) instead of stopping when the cheap pass is certain",
    };

    /// <summary>The config file with the command's --index (when it has one and it is given) in place of index.url, and its --full.</summary>
    public static ArtMatchConfig LoadConfig(ParseResult parse, Option<string?> config)
    {
        var loaded = ArtMatchConfig.Load(parse.GetValue(config));
        var options = parse.CommandResult.Command.Options;
        if (options.OfType<Option<string?>>().FirstOrDefault(o => o.Name == "--index") is { } index && parse.GetValue(index) is { } url)
            loaded = loaded with { Index = loaded.Index with { Url = url } };
        if (options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--full") is { } full && parse.GetValue(full))
            loaded = loaded with { Match = loaded.Match with { Cascade = loaded.Match.Cascade with { Full = true } } };
        return loaded;
    }

    public static byte[] ReadImage(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"Image not found: {path}", path);

    /// <summary>Progress goes to stderr so that --json output on stdout stays clean.</summary>
    public static IAnsiConsole ProgressConsole { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}
