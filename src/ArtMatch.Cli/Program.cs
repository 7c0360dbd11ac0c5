using System.CommandLine;
using ArtMatch.Cli.Commands;

var root = new RootCommand("ArtMatch: is this photographed artefact a known stolen or red-listed cultural object?");
root.Subcommands.Add(EmbedCommands.Embed());
root.Subcommands.Add(EmbedCommands.Similarity());
root.Subcommands.Add(CatalogCommands.Import());
root.Subcommands.Add(CatalogCommands.Reembed());
root.Subcommands.Add(CatalogCommands.Whiten());
root.Subcommands.Add(MatchCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(CalibrateCommand.Create());
root.Subcommands.Add(ScreenCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(IndexCommands.Create());
root.Subcommands.Add(KeysCommands.Create());
root.Subcommands.Add(BackupCommands.Backup());
root.Subcommands.Add(BackupCommands.Restore());
return root.Parse(args).Invoke();
