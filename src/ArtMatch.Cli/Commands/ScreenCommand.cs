using System.CommandLine;
using System.Diagnostics;
using ArtMatch.Cli.Reports;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

/// <summary>Bulk screening: every photo in folders and PDF catalogues checked against the store, hits reported.</summary>
internal static class ScreenCommand
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
        { ".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif" };

    public sealed record ScreenedPhoto(string Source, string Path, MatchResult? Result, string? Error);

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Folders (searched recursively), image files and PDF catalogues", Arity = ArgumentArity.OneOrMore };
        var store = CliSupport.StoreOption();
        var report = new Option<string?>("--report") { Description = "Write an HTML report with thumbnails of every hit" };
        var top = new Option<int>("--top") { Description = "Candidates kept per photo", DefaultValueFactory = _ => 3 };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("screen", "Screen folders of photos or PDF auction catalogues against the store; report matches and possibles")
            { inputs, store, report, top, json, config };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            using var scratch = new ScratchDir();
            var photos = CollectPhotos(parse.GetValue(inputs)!, scratch.Path);
            using var engine = CliSupport.Engine(parse, config).OpenStore(parse.GetValue(store)!);
            var matcher = engine.RequireMatcher();
            var results = new ScreenedPhoto[photos.Count];
            var clock = Stopwatch.StartNew();
            CliSupport.ProgressConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("screening", maxValue: Math.Max(1, photos.Count));
                    Parallel.For(0, photos.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                    {
                        var (source, path) = photos[i];
                        try
                        {
                            results[i] = new ScreenedPhoto(source, path, matcher.Match(File.ReadAllBytes(path), new MatchRequest { TopK = parse.GetValue(top) }), null);
                        }
                        catch (Exception e) when (e is ImageDecodeException or IOException)
                        {
                            results[i] = new ScreenedPhoto(source, path, null, e.Message);
                        }
                        lock (task)
                            task.Increment(1);
                    });
                });
            double seconds = clock.Elapsed.TotalSeconds;
            if (parse.GetValue(report) is { } reportPath)
                ScreenHtmlReport.Write(reportPath, results, engine.RequireStore(), engine.Decoder, seconds);
            if (parse.GetValue(json))
            {
                CliSupport.WriteJson(new
                {
                    photos = results.Length,
                    seconds,
                    photos_per_second = results.Length / Math.Max(seconds, 1e-9),
                    matches = results.Count(r => r.Result?.Verdict == Verdict.Match),
                    possibles = results.Count(r => r.Result?.Verdict == Verdict.Possible),
                    errors = results.Count(r => r.Error is not null),
                    results = results.Select(r => new { source = r.Source, photo = r.Path, error = r.Error, result = r.Result is null ? null : MatchCommand.ToJson(r.Result) }),
                });
            }
            else
            {
                var table = new Table().AddColumns("photo", "verdict", "score", "object", "title");
                foreach (var r in results.Where(r => r.Error is not null || r.Result!.Verdict != Verdict.NoMatch))
                {
                    table.AddRow(Markup.Escape(r.Source), r.Error is null ? MatchCommand.VerdictName(r.Result!.Verdict) : "[red]error[/]",
                        r.Result?.BestScore.ToString("F3") ?? "", Markup.Escape(r.Result?.Best?.ObjectId ?? ""), Markup.Escape(r.Error ?? r.Result?.Best?.Record?.Title ?? ""));
                }
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"{results.Length} photos in {seconds:F1} s ({results.Length / Math.Max(seconds, 1e-9):F1}/s)");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Every photo to screen as (what the officer sees as its source, file to read); PDFs' embedded photos extracted.</summary>
    private static List<(string Source, string Path)> CollectPhotos(IEnumerable<string> inputs, string scratch)
    {
        var photos = new List<(string, string)>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    if (ImageExtensions.Contains(System.IO.Path.GetExtension(file)))
                        photos.Add((System.IO.Path.GetRelativePath(input, file), file));
                    else if (file.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase))
                        photos.AddRange(PdfPhotos(file, scratch));
                }
            }
            else if (input.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase) && File.Exists(input))
                photos.AddRange(PdfPhotos(input, scratch));
            else if (File.Exists(input))
                photos.Add((System.IO.Path.GetFileName(input), input));
            else
                throw new FileNotFoundException($"Nothing to screen at {input}: not a folder, image or PDF.", input);
        }
        return photos;
    }

    /// <summary>The photos embedded in a PDF, as the file holds them (pdfimages from poppler-utils), with their page numbers.</summary>
    private static IEnumerable<(string Source, string Path)> PdfPhotos(string pdf, string scratch)
    {
        var folder = Directory.CreateDirectory(System.IO.Path.Combine(scratch, Guid.NewGuid().ToString("N"))).FullName;
        var info = new ProcessStartInfo("pdfimages") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-all", "-p", pdf, System.IO.Path.Combine(folder, "img") })
            info.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("pdfimages (poppler-utils) is needed to screen PDFs: run ./scripts/setup.sh.", e);
        }
        using (process)
        {
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidDataException($"{pdf}: could not read the PDF: {error.Trim()}");
        }
        // Names are img-<page>-<index>.<ext>; tiny images (logos, rules) are not photos of objects.
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            if (new FileInfo(file).Length < 4096 || !ImageExtensions.Contains(System.IO.Path.GetExtension(file)))
                continue;
            var parts = System.IO.Path.GetFileNameWithoutExtension(file).Split('-');
            yield return ($"{System.IO.Path.GetFileName(pdf)} page {int.Parse(parts[1])} image {int.Parse(parts[2]) + 1}", file);
        }
    }

    private sealed class ScratchDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("artmatch-screen-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Temp leftovers are harmless.
            }
        }
    }
}
