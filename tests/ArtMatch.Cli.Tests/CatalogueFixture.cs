using ArtMatch.TestSupport;

namespace ArtMatch.Cli.Tests;

/// <summary>Writes small catalogue files over real dev-set photos.</summary>
public static class CatalogueFixture
{
    /// <summary>The first <paramref name="count"/> objects of the dev catalogue as (id, absolute image path).</summary>
    public static IReadOnlyList<(string Id, string Image)> DevObjects(int count, int skip = 0) =>
        File.ReadLines(RepoPaths.DevFile("catalog.csv")).Skip(1 + skip)
            .Select(line => line.Split(','))
            .Select(parts => (parts[0], RepoPaths.DevFile(parts[1])))
            .DistinctBy(p => p.Item1)
            .Take(count)
            .ToList();

    public static string WriteCsv(string path, IEnumerable<(string Id, string Image)> objects, string extraRows = "")
    {
        // Images copied beside the catalogue: import reads only inside the catalogue file's folder.
        string folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "images");
        Directory.CreateDirectory(folder);
        var lines = new List<string> { "object_id,image,title,registry,status,maker" };
        foreach (var o in objects)
        {
            string copy = Path.Combine(folder, $"{o.Id}{Path.GetExtension(o.Image)}");
            if (!File.Exists(copy))
                File.Copy(o.Image, copy);
            lines.Add($"{o.Id},images/{Path.GetFileName(copy)},Title of {o.Id},TEST,stolen,Maker {o.Id}");
        }
        File.WriteAllText(path, string.Join('\n', lines) + "\n" + extraRows);
        return path;
    }
}
