using System.Collections.Concurrent;
using System.Net;
using ArtMatch.Core.Imaging;
using ArtMatch.Imaging;

namespace ArtMatch.Cli.Reports;

/// <summary>Small inline JPEG thumbnails for self-contained HTML reports (one file to mail or archive).</summary>
internal sealed class HtmlThumbnails(VipsImageDecoder decoder, int longSide = 160)
{
    private readonly ConcurrentDictionary<string, string> _cache = new();

    public string ImgTag(string path, string alt) =>
        _cache.GetOrAdd(path, p => Tag(() => File.ReadAllBytes(p), alt, Path.GetFileName(p) + ": "));

    /// <summary>A thumbnail of encoded bytes, cached under <paramref name="key"/>.</summary>
    public string ImgTag(string key, byte[] encoded, string alt) =>
        _cache.GetOrAdd("bytes:" + key, _ => Tag(() => encoded, alt, ""));

    private string Tag(Func<byte[]> read, string alt, string brokenPrefix)
    {
        try
        {
            var jpeg = decoder.ThumbnailJpeg(read(), longSide);
            return $"<img src=\"data:image/jpeg;base64,{Convert.ToBase64String(jpeg)}\" alt=\"{Encode(alt)}\">";
        }
        catch (Exception e) when (e is IOException or ImageDecodeException)
        {
            return $"<span class=\"broken\">{Encode(brokenPrefix + e.Message)}</span>";
        }
    }

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    public const string Style = """
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}
        table{border-collapse:collapse;margin:1em 0}
        td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
        th{background:#f3f3f3}
        img{max-width:160px;max-height:160px;display:block}
        .match{color:#b00;font-weight:bold}.possible{color:#b70}.no_match{color:#070}
        .broken{color:#b00}
        .cand{display:inline-block;margin-right:8px;font-size:85%}
        </style>
        """;
}
