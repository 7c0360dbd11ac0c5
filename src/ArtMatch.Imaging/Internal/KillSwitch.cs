using NetVips;

namespace ArtMatch.Imaging.Internal;

/// <summary>
/// Stops a libvips decode when a cancellation token fires: sets the kill flag on every image of the
/// pipeline handed to it (libvips checks it as each region is computed and as the final image is
/// written), so an expired deadline frees the cores within a few strips or tiles rather than at the
/// end of the decode. Images already disposed are skipped (NetVips' SafeHandle refuses them).
/// </summary>
internal sealed class KillSwitch : IDisposable
{
    private readonly List<Image> _images = [];
    private readonly CancellationTokenRegistration _registration;
    private bool _killed;

    public KillSwitch(CancellationToken cancellation)
    {
        if (cancellation.CanBeCanceled)
            _registration = cancellation.Register(KillAll);
    }

    /// <summary>Follows <paramref name="image"/>; kills it at once when cancellation came first.</summary>
    public Image Track(Image image)
    {
        lock (_images)
        {
            _images.Add(image);
            if (_killed)
                Kill(image);
        }
        return image;
    }

    private void KillAll()
    {
        lock (_images)
        {
            _killed = true;
            foreach (var image in _images)
                Kill(image);
        }
    }

    private static void Kill(Image image)
    {
        try
        {
            image.SetKill(true);
        }
        catch (ObjectDisposedException)
        {
            // Finished with already: nothing left to stop.
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        lock (_images)
            _images.Clear();
    }
}
