using System.Text;
using ArtMatch.Core.Evaluation;
using ArtMatch.Core.Matching;
using ArtMatch.Imaging;
using static ArtMatch.Cli.Reports.HtmlThumbnails;

namespace ArtMatch.Cli.Reports;

/// <summary>An evaluation as one HTML page: the figures, then every wrong answer with thumbnails.</summary>
internal static class EvalHtmlReport
{
    public static void Write(string path, EvalReport report, EvalSet set, VipsImageDecoder decoder)
    {
        var thumbnails = new HtmlThumbnails(decoder);
        var imageOf = set.Catalog.GroupBy(e => e.ObjectId).ToDictionary(g => g.Key, g => g.First().ImagePath);
        var html = new StringBuilder();
        html.Append($"<!doctype html><html><head><meta charset=\"utf-8\"><title>ArtMatch evaluation: {Encode(set.Directory)}</title>{Style}</head><body>");
        html.Append($"<h1>Evaluation of {Encode(set.Directory)}</h1><p>pipeline {Encode(report.Pipeline)}, model {Encode(report.ModelId)}, {report.Outcomes.Count} queries</p>");
        html.Append("<table><tr><th>kind</th><th>queries</th><th>top1</th><th>recall@5</th><th>mAP</th><th>false match</th><th>miss</th><th>p50 ms</th><th>p95 ms</th></tr>");
        Row(html, "ALL", report.Overall);
        foreach (var (kind, m) in report.PerKind)
            Row(html, kind, m);
        html.Append("</table>");

        var wrong = report.WrongAnswers.ToList();
        html.Append($"<h2>Wrong answers ({wrong.Count})</h2><table><tr><th>query</th><th>expected</th><th>what came back</th></tr>");
        foreach (var o in wrong)
        {
            html.Append("<tr><td>").Append(thumbnails.ImgTag(o.Query.ImagePath, "query"))
                .Append($"{Encode(Path.GetFileName(o.Query.ImagePath))}<br>{Encode(o.Query.Kind)}<br><small>{Encode(o.Query.Notes)}</small></td><td>");
            if (o.Query.IsMatchable)
            {
                foreach (var id in o.Query.ExpectedObjectIds)
                    html.Append(imageOf.TryGetValue(id, out var p) ? thumbnails.ImgTag(p, id) : "").Append(Encode(id)).Append("<br>");
            }
            else
            {
                html.Append("<i>no match</i>");
            }
            html.Append($"</td><td><span class=\"{Css(o.Verdict)}\">{MatchName(o.Verdict)}</span><br>");
            foreach (var c in o.Candidates.Take(3))
            {
                html.Append("<div class=\"cand\">").Append(imageOf.TryGetValue(c.ObjectId, out var p) ? thumbnails.ImgTag(p, c.ObjectId) : "")
                    .Append($"{Encode(c.ObjectId)}<br>score {c.Score:F3} (cos {c.Similarity:F3}, inliers {c.Inliers}, keypoints {c.KeypointInliers}{(c.ColourShift is { } shift ? $", colour shift {shift:F2}" : "")})</div>");
            }
            html.Append("</td></tr>");
        }
        html.Append("</table></body></html>");
        File.WriteAllText(path, html.ToString());
    }

    private static void Row(StringBuilder html, string kind, MetricSummary m) =>
        html.Append($"<tr><td>{Encode(kind)}</td><td>{m.Queries}</td><td>{m.Top1:F3}</td><td>{m.RecallAt5:F3}</td><td>{m.Map:F3}</td><td>{m.FalseMatchRate:F3}</td><td>{m.MissRate:F3}</td><td>{m.LatencyP50Ms:F0}</td><td>{m.LatencyP95Ms:F0}</td></tr>");

    public static string Css(Verdict v) => v switch { Verdict.Match => "match", Verdict.Possible => "possible", _ => "no_match" };

    public static string MatchName(Verdict v) => v switch { Verdict.Match => "match", Verdict.Possible => "possible", _ => "no match" };
}
