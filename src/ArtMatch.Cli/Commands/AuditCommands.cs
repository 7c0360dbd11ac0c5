using System.CommandLine;
using ArtMatch.Storage;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary><c>artmatch audit …</c>: the store's hash-chained audit log.</summary>
internal static class AuditCommands
{
    /// <summary>Exit code when the chain is broken.</summary>
    public const int ExitBroken = 4;

    public static Command Create()
    {
        var command = new Command("audit", "The store's tamper-evident audit log (every write and every Match)");
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command Verify()
    {
        var store = CliSupport.StoreOption();
        var json = CliSupport.JsonOption();
        var command = new Command("verify",
            $"Recompute the audit log's hash chain: exit 0 when intact, {ExitBroken} with the first entry that was edited, deleted or inserted. " +
            "Keep the printed head elsewhere: entries cut from the end leave a shorter chain that still verifies") { store, json };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var result = SqliteCatalogStore.VerifyAudit(parse.GetValue(store)!);
            if (parse.GetValue(json))
                CliSupport.WriteJson(new { valid = result.Valid, entries = result.Entries, head = result.Head, broken_at = result.BrokenAt });
            else if (result.Valid)
                AnsiConsole.MarkupLineInterpolated($"audit chain intact: {result.Entries} entries, head {result.Head}");
            else
                AnsiConsole.MarkupLineInterpolated($"[red]audit chain BROKEN at entry {result.BrokenAt}[/] (after {result.Entries} intact entries): an entry was edited, deleted or inserted there");
            return result.Valid ? 0 : ExitBroken;
        }));
        return command;
    }
}
