using System.Runtime.InteropServices;

namespace ArtMatch.Imaging.Internal;

/// <summary>A VipsImage reference; released with g_object_unref. No finalizer beyond SafeHandle's.</summary>
internal sealed class VipsImageHandle : SafeHandle
{
    public VipsImageHandle(nint image)
        : base(0, ownsHandle: true) => SetHandle(image);

    public override bool IsInvalid => handle == 0;

    public nint Pointer => handle;

    protected override bool ReleaseHandle()
    {
        Vips.ObjectUnref(handle);
        return true;
    }
}
