using System.Security.Cryptography;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Catalogue stores imported once per build and catalogue, kept under
/// benchmarks/.fixtures/match-stores/NAME-KEY; each benchmark case works on its own copy (a Match
/// writes its audit entry). KEY is a hash over the build's ArtMatch assemblies, the catalogue CSV
/// and the model manifest, so a changed build or catalogue imports afresh.
/// </summary>
public static class ImportedStores
{
    /// <summary>A fresh copy of the store <paramref name="import"/> fills (run once per key) in a temporary folder.</summary>
    public static string CopyFor(string name, string buildFolder, string catalogue, Action<string> import)
    {
        var root = Directory.CreateDirectory(Path.Combine(Fixtures.Root, "benchmarks", ".fixtures", "match-stores")).FullName;
        var template = Path.Combine(root, $"{name}-{Key(buildFolder, catalogue)}");
        if (!Directory.Exists(template))
        {
            // Imported beside, then renamed into place: a run stopped midway leaves no half store.
            var partial = $"{template}.partial-{Environment.ProcessId}";
            if (Directory.Exists(partial))
                Directory.Delete(partial, recursive: true);
            Directory.CreateDirectory(partial);
            import(partial);
            Directory.Move(partial, template);
        }
        var copy = Directory.CreateTempSubdirectory("artmatch-bench-").FullName;
        foreach (var file in Directory.EnumerateFiles(template, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(template, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }

    private static string Key(string buildFolder, string catalogue)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var assembly in Directory.EnumerateFiles(buildFolder, "ArtMatch.*.dll").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(assembly) == "ArtMatch.Benchmarks.dll")
                continue;
            hash.AppendData(File.ReadAllBytes(assembly));
        }
        hash.AppendData(File.ReadAllBytes(catalogue));
        hash.AppendData(File.ReadAllBytes(Path.Combine(Fixtures.Root, "models", "mobilenetv2-12-int8.json")));
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
