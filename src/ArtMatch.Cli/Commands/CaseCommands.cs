using System.CommandLine;
using System.Globalization;
using ArtMatch.Core.Cases;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary>`artmatch cases export`: the store's customs cases as the exchange file partners read.</summary>
internal static class CaseCommands
{
    public static Command Create()
    {
        var command = new Command("cases", "Customs cases kept in a store (created through the API's CreateCase)");
        command.Subcommands.Add(Export());
        return command;
    }

    private static Command Export()
    {
        var store = CliSupport.StoreOption();
        var since = new Option<string?>("--since") { Description = "Only cases changed at or after this date (2026-11-30) or time (2026-11-30T14:00:00Z, UTC)" };
        var format = new Option<string>("--format") { Description = "json (schemas/case-exchange.v1.schema.json) or csv (one row per case)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var output = new Option<string?>("--out") { Description = "File to write (stdout when absent)" };
        var config = CliSupport.ConfigOption();
        var command = new Command("export", "Write the cases changed since a date as an exchange file (Object ID and UNESCO-WCO Model Export Certificate field names)")
            { store, since, format, output, config };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            DateTime? from = parse.GetValue(since) is { } text ? ParseSince(text) : null;
            using var engine = CliSupport.Engine(parse, config).OpenStore(parse.GetValue(store)!);
            var catalogue = engine.RequireStore();
            var cases = catalogue as ICaseStore ?? throw new InvalidOperationException("This store keeps no cases.");
            var list = cases.ListCases(from, null, int.MaxValue);
            using (var file = parse.GetValue(output) is { } path ? new StreamWriter(path, append: false, CaseExchange.FileEncoding) : null)
            {
                var writer = file ?? Console.Out;
                if (parse.GetValue(format) == "csv")
                    CaseExchange.WriteCsv(writer, list, catalogue.Get);
                else
                    writer.WriteLine(CaseExchange.ToJson(list, catalogue.Get, from, DateTime.UtcNow).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                writer.Flush();
            }
            if (parse.GetValue(output) is { } written)
                AnsiConsole.MarkupLineInterpolated($"{list.Count} cases written to {written}");
            return 0;
        }));
        return command;
    }

    /// <summary>A date (midnight UTC) or a UTC time.</summary>
    internal static DateTime ParseSince(string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at
            : throw new ArgumentException($"--since '{text}' is not a date like 2026-11-30 or a time like 2026-11-30T14:00:00Z.");
}
