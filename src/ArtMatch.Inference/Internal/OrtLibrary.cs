using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArtMatch.Inference.Internal;

/// <summary>
/// Finds and loads libonnxruntime.so.1 once: ARTMATCH_NATIVE_DIR, then the checkout's <c>.native/</c>
/// (found by walking up from the binaries), then the system's default search.
/// </summary>
internal static class OrtLibrary
{
    public const string FileName = "libonnxruntime.so.1";

    private static readonly Lazy<nint> Handle = new(Load);

    public static nint Get() => Handle.Value;

    private static nint Load()
    {
        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        }
        if (NativeLibrary.TryLoad(FileName, Assembly.GetExecutingAssembly(), null, out var fallback))
            return fallback;
        throw new DllNotFoundException($"ONNX Runtime ({FileName}) not found in ARTMATCH_NATIVE_DIR or .native/: run ./scripts/setup.sh.");
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("ARTMATCH_NATIVE_DIR") is { Length: > 0 } dir)
            yield return Path.Combine(dir, FileName);
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            yield return Path.Combine(folder.FullName, ".native", FileName);
    }
}
