using ArtMatch.Core.Embedding;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// Finds the files setup installs: the model manifests (<c>models/</c>) and model files
/// (<c>.models/</c>) of the ArtMatch checkout, or the folders named by ARTMATCH_HOME / ARTMATCH_MODEL_DIR.
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

    public static string ResolveModelFile(ModelManifest manifest)
    {
        var folder = Environment.GetEnvironmentVariable("ARTMATCH_MODEL_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Root(), ".models");
        var path = Path.Combine(folder, manifest.File);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file {manifest.File} is not installed in {folder}: run ./scripts/setup.sh (it copies or downloads it and checks its sha256).", path);
        return path;
    }
}
