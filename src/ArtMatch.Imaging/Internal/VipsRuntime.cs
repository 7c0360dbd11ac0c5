namespace ArtMatch.Imaging.Internal;

/// <summary>Starts libvips once per process, with ArtMatch's safety settings, before any other call.</summary>
internal static class VipsRuntime
{
    private static readonly Lazy<bool> Started = new(Start);

    public static void EnsureStarted() => _ = Started.Value;

    private static bool Start()
    {
        VipsModules.Restrict(Vips.Version(0), Vips.Version(1));
        if (Vips.Init("artmatch") != 0)
            throw new DllNotFoundException("libvips failed to start: " + VipsImageDecoder.TakeError());
        // Untrusted loaders (ImageMagick, matrix, FITS...) never see network input.
        Vips.BlockUntrustedSet(1);
        // The operation cache keys buffer loads by address; reused buffers could hit stale entries.
        Vips.CacheSetMax(0);
        // libvips' own worker threads are left at its default (one per core): measured, a single worker
        // per decode halved bulk throughput even with two decodes running side by side.
        return true;
    }
}
