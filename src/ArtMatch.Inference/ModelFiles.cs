using System.Collections.Concurrent;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Inference;

/// <summary>A manifest together with the verified model file it names.</summary>
public sealed record ModelFile(ModelManifest Manifest, string Path);

/// <summary>
/// Finds the model file a manifest names and checks it is the expected file (sha256). Looks in
/// ARTMATCH_MODEL_DIR, then in the <c>.models/</c> folder of the checkout holding the manifest or the
/// binaries; for a manifest naming a NuGet package, last in that package in the NuGet cache
/// (NUGET_PACKAGES, else ~/.nuget/packages). A file is hashed once per process (again only if its size or time stamp changes).
/// </summary>
public static class ModelFiles
{
    public const string ModelDirVariable = "ARTMATCH_MODEL_DIR";

    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written, string Sha256), bool> Verified = new();

    /// <summary>Loads the manifest at <paramref name="manifestPath"/>, then finds and verifies its model file.</summary>
    public static ModelFile Resolve(string manifestPath)
    {
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"Model manifest not found: {manifestPath}.", manifestPath);
        var manifest = ModelManifest.Load(manifestPath);
        return new ModelFile(manifest, Locate(manifest, manifestPath));
    }

    /// <summary>The verified path of <paramref name="manifest"/>'s model file.</summary>
    public static string Locate(ModelManifest manifest, string? manifestPath = null)
    {
        var searched = Folders(manifestPath).Distinct().Select(folder => Path.Combine(folder, manifest.File)).ToList();
        if (manifest.NuGet is { } package)
            searched.Add(InNuGetCache(package, NuGetCache()));
        foreach (var path in searched)
        {
            if (File.Exists(path))
            {
                Verify(manifest, path);
                return path;
            }
        }
        throw new FileNotFoundException(
            $"Model file {manifest.File} (model {manifest.Id}) is not installed; looked in {string.Join(", ", searched)}. " +
            "Run ./scripts/setup.sh to download it.", manifest.File);
    }

    /// <summary>Throws unless <paramref name="modelPath"/> exists and has the manifest's sha256.</summary>
    public static void Verify(ModelManifest manifest, string modelPath)
    {
        var file = new FileInfo(modelPath);
        if (!file.Exists)
            throw new FileNotFoundException($"Model file not found: {modelPath}. Run ./scripts/setup.sh to install it.", modelPath);
        var key = (file.FullName, file.Length, file.LastWriteTimeUtc, manifest.Sha256.ToLowerInvariant());
        if (Verified.ContainsKey(key))
            return;
        string actual;
        using (var stream = file.OpenRead())
            actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        Check(manifest, modelPath, actual);
        Verified.TryAdd(key, true);
    }

    /// <summary>Where NuGet restores <paramref name="package"/> under the global packages folder <paramref name="cache"/> (ids and versions lower-cased).</summary>
    public static string InNuGetCache(NuGetSource package, string cache) =>
        Path.Combine([cache, package.Package.ToLowerInvariant(), package.Version.ToLowerInvariant(), .. package.Path.Split('/')]);

    private static string NuGetCache() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    internal static void Check(ModelManifest manifest, string modelPath, string actualSha256)
    {
        if (!string.Equals(actualSha256, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"Model file {modelPath} has sha256 {actualSha256}, but manifest {manifest.Id} expects {manifest.Sha256}: " +
                "the download is incomplete or a different file. Delete it and run ./scripts/setup.sh to reinstall it.");
        }
    }

    private static IEnumerable<string> Folders(string? manifestPath)
    {
        if (Environment.GetEnvironmentVariable(ModelDirVariable) is { Length: > 0 } dir)
            yield return Path.GetFullPath(dir);
        // Manifests live in <repo>/models/, the files setup installs in <repo>/.models/.
        var starts = new List<string>();
        if (manifestPath is not null)
            starts.Add(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!);
        starts.Add(AppContext.BaseDirectory);
        foreach (var start in starts)
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var models = Path.Combine(folder.FullName, ".models");
                if (Directory.Exists(models))
                {
                    yield return models;
                    break;
                }
            }
        }
    }
}
