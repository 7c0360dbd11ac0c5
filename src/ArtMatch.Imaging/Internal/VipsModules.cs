using System.Runtime.InteropServices;

namespace ArtMatch.Imaging.Internal;

/// <summary>
/// Chooses which libvips modules load. vips_init loads every module in its module folder with
/// global symbol binding; Debian's OpenSlide module drags in the system libsqlite3, whose symbols
/// then capture calls made inside the SQLite that Microsoft.Data.Sqlite bundles, and the process
/// crashes. ArtMatch needs only the HEIF module, so before vips_init it points VIPSHOME at a private
/// prefix whose module folder links to that module alone.
/// </summary>
internal static partial class VipsModules
{
    private static readonly string[] Wanted = ["vips-heif.so"];

    public static void Restrict(int major, int minor)
    {
        if (Environment.GetEnvironmentVariable("VIPSHOME") is { Length: > 0 })
            return;
        var system = $"/usr/lib/x86_64-linux-gnu/vips-modules-{major}.{minor}";
        var home = Path.Combine(Path.GetTempPath(), $"artmatch-vipshome-{Environment.UserName}-{major}.{minor}");
        try
        {
            // libvips derives its libdir from the prefix differently per build (Debian: <prefix>/x86_64-linux-gnu).
            foreach (var libdir in new[] { "lib", "x86_64-linux-gnu", "lib/x86_64-linux-gnu" })
            {
                var modules = Path.Combine(home, libdir, $"vips-modules-{major}.{minor}");
                Directory.CreateDirectory(modules);
                foreach (var name in Wanted)
                {
                    var link = Path.Combine(modules, name);
                    var target = Path.Combine(system, name);
                    if (File.Exists(target) && !File.Exists(link))
                        File.CreateSymbolicLink(link, target);
                }
            }
        }
        catch (IOException)
        {
            // Another process made it at the same moment; what it made is the same.
        }
        // The native environment, which libvips reads; Environment.SetEnvironmentVariable only changes .NET's copy.
        SetEnv("VIPSHOME", home, 1);
        Environment.SetEnvironmentVariable("VIPSHOME", home);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
