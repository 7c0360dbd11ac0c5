using NetVips;

namespace ArtMatch.Imaging.Internal;

/// <summary>
/// libvips' process-wide settings, applied once before the first decode. They are libvips' own
/// globals, so every decoder in the process shares them.
/// </summary>
internal static class LibvipsRuntime
{
    /// <summary>The loaders network input may reach (buffer/source variants alike), and the format each reads.</summary>
    public static readonly IReadOnlyDictionary<string, string> AllowedLoaders = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["VipsForeignLoadJpeg"] = "jpeg",
        ["VipsForeignLoadPng"] = "png",
        ["VipsForeignLoadWebp"] = "webp",
        ["VipsForeignLoadTiff"] = "tiff",
        ["VipsForeignLoadNsgif"] = "gif",
        ["VipsForeignLoadHeif"] = "heif",
    };

    private static readonly Lazy<bool> Started = new(Start);

    public static void EnsureStarted() => _ = Started.Value;

    public static string Version => $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}";

    private static bool Start()
    {
        if (!ModuleInitializer.VipsInitialized)
        {
            throw new InvalidOperationException(
                "libvips (NetVips.Native) could not be loaded or started: " + (ModuleInitializer.Exception?.Message ?? "no reason given"),
                ModuleInitializer.Exception);
        }
        // Untrusted loaders (ImageMagick, matrix, FITS...) never see network input; then every loader
        // but the allowed ones is blocked, so libvips itself refuses the rest (the decoder checks too).
        NetVips.NetVips.BlockUntrusted = true;
        Operation.Block("VipsForeignLoad", true);
        foreach (var loader in AllowedLoaders.Keys)
            Operation.Block(loader, false);
        // No operation cache: a server decodes each upload once, so cached operations are never hit
        // again and would only hold memory and file handles for every distinct upload, up to the
        // cache's limits (libvips' defaults: 100 operations, 100 MB, 100 files).
        Cache.Max = 0;
        Cache.MaxMem = 0;
        Cache.MaxFiles = 0;
        // Worker threads per decode stay at libvips' default (one per core, VIPS_CONCURRENCY overrides):
        // one worker made bulk embedding slower with two decodes side by side (benchmarks/RESULTS.md).
        return true;
    }
}
