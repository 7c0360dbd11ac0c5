using System.CommandLine;
using ArtMatch.Storage;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary><c>artmatch backup</c> and <c>artmatch restore</c>: a store's database through SQLite's online backup.</summary>
internal static class BackupCommands
{
    public static Command Backup()
    {
        var store = CliSupport.StoreOption();
        var to = new Option<string>("--to") { Description = "The backup file to write (replaced when present)", Required = true };
        var json = CliSupport.JsonOption();
        var command = new Command("backup", "Copy a store's database to one file, consistent while a server keeps serving and writing it") { store, to, json };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            Print(StoreBackup.Backup(parse.GetValue(store)!, parse.GetValue(to)!), parse.GetValue(json), "backed up");
            return 0;
        }));
        return command;
    }

    public static Command Restore()
    {
        var store = CliSupport.StoreOption();
        var from = new Option<string>("--from") { Description = "A file written by 'artmatch backup'", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Overwrite the store already in --store (stop its server first)" };
        var json = CliSupport.JsonOption();
        var command = new Command("restore", "Put a backup in place as the store's database (integrity-checked first)") { store, from, replace, json };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            Print(StoreBackup.Restore(parse.GetValue(from)!, parse.GetValue(store)!, parse.GetValue(replace)), parse.GetValue(json), "restored");
            return 0;
        }));
        return command;
    }

    private static void Print(BackupSummary summary, bool json, string verb)
    {
        if (json)
        {
            CliSupport.WriteJson(new
            {
                from = summary.From, to = summary.To, bytes = summary.Bytes, schema_version = summary.SchemaVersion,
                objects = summary.Objects, seconds = summary.Seconds,
            });
            return;
        }
        AnsiConsole.MarkupLineInterpolated(
            $"{verb} {summary.Objects} objects (schema {summary.SchemaVersion}, {summary.Bytes / 1048576.0:0.0} MB) from {summary.From} to {summary.To} in {summary.Seconds:0.0} s");
    }
}
