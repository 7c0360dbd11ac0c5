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
        var expect = new Option<string?>("--expect")
        {
            Description = "The ENTRIES:HASH an earlier verify printed, kept outside the store: the log must still reach it " +
                "(entries cut from the end, or a log rewritten and chained again, fail)",
        };
        var command = new Command("verify",
            $"Recompute the audit log's hash chain: exit 0 when intact, {ExitBroken} with the first entry that was edited, deleted or inserted. " +
            "Keep the printed head (ENTRIES:HASH) elsewhere and give it to the next verify with --expect: without it, entries cut from the end leave a shorter chain that still verifies")
            { store, json, expect };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var kept = parse.GetValue(expect) is { } text ? ParseAnchor(text) : null;
            var result = SqliteCatalogStore.VerifyAudit(parse.GetValue(store)!, kept);
            if (parse.GetValue(json))
            {
                CliSupport.WriteJson(new
                {
                    valid = result.Valid, entries = result.Entries, head = result.Head, anchor = result.Anchor.ToString(),
                    broken_at = result.BrokenAt, problem = result.Problem, checked_against = kept?.ToString(),
                });
            }
            else if (result.Valid)
                AnsiConsole.MarkupLineInterpolated($"audit chain intact: {result.Entries} entries{(kept is null ? "" : $", reaching the kept head at entry {kept.Entries}")}; head {result.Anchor} (keep it elsewhere; next time: --expect {result.Anchor})");
            else
                AnsiConsole.MarkupLineInterpolated($"[red]audit chain BROKEN[/]: {result.Problem} ({result.Entries} intact entries before it)");
            return result.Valid ? 0 : ExitBroken;
        }));
        return command;
    }

    private static AuditAnchor ParseAnchor(string text)
    {
        try
        {
            return AuditAnchor.Parse(text.Trim());
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--expect: {e.Message}", e);
        }
    }
}
