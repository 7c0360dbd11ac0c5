namespace ArtMatch.TestSupport;

/// <summary>Where tests find the repository, the models setup installed, and the shared eval data.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string ModelDir => Path.Combine(Root, ".models");

    public static string ManifestDir => Path.Combine(Root, "models");

    public static string DefaultManifest => Path.Combine(ManifestDir, "mobilenetv2-12-int8.json");

    /// <summary>The development evaluation set beside the repository (../shared/eval/dev).</summary>
    public static string DevSet => Path.GetFullPath(Path.Combine(Root, "..", "shared", "eval", "dev"));

    public static string DevFile(string relative) => Path.Combine(DevSet, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ArtMatch.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("ArtMatch.sln not found above " + AppContext.BaseDirectory);
    }
}
