namespace ArtMatch.Server.Hosting;

/// <summary>
/// Finds the ArtMatch checkout (ARTMATCH_HOME, else above the binaries) and the model manifests in its
/// <c>models/</c>; the model files themselves are found by <see cref="ArtMatch.Inference.ModelFiles"/>.
/// </summary>
public static class RepoLocator
{
    public const string DefaultManifest = "models/mobilenetv2-12-int8.json";

    /// <summary>The checkout root: ARTMATCH_HOME, else the first parent of the binaries holding ArtMatch.sln.</summary>
    public static string Root()
    {
        if (Environment.GetEnvironmentVariable("ARTMATCH_HOME") is { Length: > 0 } home)
            return home;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ArtMatch.sln")))
                return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }

    public static string ResolveManifest(string? path)
    {
        path ??= DefaultManifest;
        var full = Path.IsPathRooted(path) || File.Exists(path) ? path : Path.Combine(Root(), path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"Model manifest not found: {path}", full);
        return full;
    }
}
