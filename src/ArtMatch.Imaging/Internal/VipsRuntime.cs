namespace ArtMatch.Imaging.Internal;

/// <summary>Starts libvips once per process, with ArtMatch's safety settings, before any other call.</summary>
internal static class VipsRuntime
{
    private static readonly Lazy<bool> Started = new(Start);

    public static void EnsureStarted() => _ = Started.Value;

    private static bool Start()
    {
        int major, minor;
        try
        {
            major = Vips.Version(0);
            minor = Vips.Version(1);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                $"libvips ({Vips.Library}) could not be loaded: install the Debian package libvips42 (scripts/setup.sh does). {e.Message}", e);
        }
        // vips_block_untrusted_set and thumbnail's fail_on arrived in 8.13.
        if (major < 8 || (major == 8 && minor < 13))
            throw new InvalidOperationException($"libvips {major}.{minor} is too old: ArtMatch needs 8.13 or later (Debian 12's libvips42 is 8.14).");
        VipsModules.Restrict(major, minor);
        if (Vips.Init("artmatch") != 0)
            throw new InvalidOperationException("libvips failed to start: " + VipsImageDecoder.TakeError());
        // Untrusted loaders (ImageMagick, matrix, FITS...) never see network input.
        Vips.BlockUntrustedSet(1);
        // The operation cache keys buffer loads by address; reused buffers could hit stale entries.
        Vips.CacheSetMax(0);
        // libvips' own worker threads are left at its default (one per core): measured, a single worker
        // per decode halved bulk throughput even with two decodes running side by side.
        return true;
    }
}
