using System.CommandLine;
using ArtMatch.Server.Api;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary><c>artmatch keys …</c>: the server's API keys file, keys stored hashed.</summary>
internal static class KeysCommands
{
    public static Command Create()
    {
        var command = new Command("keys", "Manage the API keys file that 'serve --keys' reads (keys stored as SHA-256 only)");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        return command;
    }

    private static Option<string> FileOption() => new("--file") { Description = "The keys file (JSON); created when missing", Required = true };

    private static Command Add()
    {
        var file = FileOption();
        var role = new Option<string>("--role") { Description = "officer (Match, ScreenBatch, GetObject, SearchObjects), partner (also writes) or admin (also deletes)", Required = true };
        var name = new Option<string>("--name") { Description = "Who holds the key; the audit log names callers by it", Required = true };
        var json = CliSupport.JsonOption();
        var command = new Command("add", "Make a new key, store its hash in the file and print the key once (it cannot be shown again)") { file, role, name, json };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            string roleName = parse.GetValue(role)!;
            if (!Enum.TryParse<ApiRole>(roleName, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(roleName, out _))
                throw new ArgumentException($"--role '{roleName}' is not officer, partner or admin.");
            string key = ApiKeys.Add(parse.GetValue(file)!, parse.GetValue(name)!, parsed);
            if (parse.GetValue(json))
                CliSupport.WriteJson(new { name = parse.GetValue(name), role = parsed.ToString().ToLowerInvariant(), key });
            else
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]Added '{parse.GetValue(name)}' ({parsed.ToString().ToLowerInvariant()}) to {parse.GetValue(file)}. The key, shown this once:[/]");
                Console.Out.WriteLine(key);
            }
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var file = FileOption();
        var json = CliSupport.JsonOption();
        var command = new Command("list", "The keys' names and roles (the keys themselves are not stored)") { file, json };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            var keys = ApiKeys.Load(parse.GetValue(file)!).Keys.Select(k => new { name = k.Name, role = k.Role.ToString().ToLowerInvariant() }).ToList();
            if (parse.GetValue(json))
                CliSupport.WriteJson(keys);
            else
            {
                var table = new Table().AddColumns("name", "role");
                foreach (var k in keys)
                    table.AddRow(Markup.Escape(k.name), k.role);
                AnsiConsole.Write(table);
            }
            return 0;
        }));
        return command;
    }
}
