using System.Diagnostics;

namespace ArtMatch.Cli.Tests;

public class ScreenTests
{
    [Fact]
    public void Screen_FolderAndPdf_ReportsHitsMissesAndUnreadablePhotos()
    {
        using var dir = new TempDir();
        var objects = CatalogueFixture.DevObjects(6);
        var store = dir.File("store");
        Assert.Equal(0, CliRunner.Run("import", "--store", store, "--catalog", CatalogueFixture.WriteCsv(dir.File("c.csv"), objects.Take(4))).ExitCode);
        var photos = Directory.CreateDirectory(dir.File("auction")).FullName;
        File.Copy(objects[1].Image, Path.Combine(photos, "lot-1.jpg"));
        File.Copy(objects[5].Image, Path.Combine(photos, "lot-2.jpg"));
        File.WriteAllText(Path.Combine(photos, "lot-3.jpg"), "not a photo");
        // A PDF catalogue page holding the photo of a catalogued object, written by Pillow.
        var pdf = dir.File("catalogue.pdf");
        RunPython($"from PIL import Image; Image.open('{objects[2].Image}').convert('RGB').save('{pdf}')");
        var report = dir.File("report.html");

        var result = CliRunner.Run("screen", photos, pdf, "--store", store, "--report", report, "--json");

        Assert.Equal(0, result.ExitCode);
        var results = result.Json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(4, results.Count);
        string? TopObject(string source) => results.Single(r => r.GetProperty("source").GetString()!.StartsWith(source))
            .GetProperty("result").GetProperty("candidates")[0].GetProperty("object_id").GetString();
        Assert.Equal(objects[1].Id, TopObject("lot-1"));
        Assert.Equal(objects[2].Id, TopObject("catalogue.pdf page 1"));
        Assert.Contains("Not a supported image", results.Single(r => r.GetProperty("source").GetString() == "lot-3.jpg").GetProperty("error").GetString());
        Assert.Equal(1, result.Json.GetProperty("errors").GetInt32());
        var html = File.ReadAllText(report);
        Assert.Contains("data:image/jpeg;base64,", html);
        Assert.Contains(objects[1].Id, html);
    }

    private static void RunPython(string code)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(code);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "python3 (Pillow) failed: " + error);
    }
}
