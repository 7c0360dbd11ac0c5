using System.Text;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Matching;
using ArtMatch.Imaging;
using static ArtMatch.Cli.Commands.ScreenCommand;
using static ArtMatch.Cli.Reports.HtmlThumbnails;

namespace ArtMatch.Cli.Reports;

/// <summary>A screening run as one HTML page: hits first (photo beside the catalogue picture it matched), then errors.</summary>
internal static class ScreenHtmlReport
{
    public static void Write(string path, IReadOnlyList<ScreenedPhoto> results, ICatalogStore store, VipsImageDecoder decoder, double seconds)
    {
        var thumbnails = new HtmlThumbnails(decoder);
        var hits = results.Where(r => r.Result is { Verdict: not Verdict.NoMatch })
            .OrderByDescending(r => r.Result!.Verdict).ThenByDescending(r => r.Result!.BestScore).ToList();
        var errors = results.Where(r => r.Error is not null).ToList();
        var html = new StringBuilder();
        html.Append($"<!doctype html><html><head><meta charset=\"utf-8\"><title>ArtMatch screening report</title>{Style}</head><body>");
        html.Append($"<h1>Screening report</h1><p>{results.Count} photos screened in {seconds:F1} s: ")
            .Append($"<span class=\"match\">{hits.Count(h => h.Result!.Verdict == Verdict.Match)} match</span>, ")
            .Append($"<span class=\"possible\">{hits.Count(h => h.Result!.Verdict == Verdict.Possible)} possible</span>, ")
            .Append($"{results.Count - hits.Count - errors.Count} no match, {errors.Count} unreadable. Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.</p>");
        html.Append("<table><tr><th>photo</th><th>verdict</th><th>catalogue object</th><th>record</th></tr>");
        foreach (var hit in hits)
        {
            var best = hit.Result!.Best!;
            var record = best.Record;
            html.Append("<tr><td>").Append(thumbnails.ImgTag(hit.Path, hit.Source)).Append(Encode(hit.Source)).Append("</td>")
                .Append($"<td class=\"{EvalHtmlReport.Css(hit.Result.Verdict)}\">{EvalHtmlReport.MatchName(hit.Result.Verdict)}<br>score {hit.Result.BestScore:F3}</td><td>");
            if (store.GetImageBytes(best.ImageId) is { } bytes)
                html.Append(thumbnails.ImgTag(best.ImageId, bytes, best.ObjectId));
            html.Append($"{Encode(best.ObjectId)}</td><td><b>{Encode(record?.Title)}</b><br>{Encode(record?.Maker)} {Encode(record?.DateOrPeriod)}<br>")
                .Append($"{Encode(record?.Registry)} &middot; {Encode(record?.Status.ToString())} &middot; {Encode(record?.Country)}</td></tr>");
        }
        html.Append("</table>");
        if (errors.Count > 0)
        {
            html.Append("<h2>Unreadable photos</h2><ul>");
            foreach (var e in errors)
                html.Append($"<li>{Encode(e.Source)}: {Encode(e.Error)}</li>");
            html.Append("</ul>");
        }
        html.Append("</body></html>");
        File.WriteAllText(path, html.ToString());
    }
}
