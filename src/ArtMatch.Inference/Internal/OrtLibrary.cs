using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArtMatch.Inference.Internal;

/// <summary>
/// Resolves libonnxruntime.so.1 for this assembly's imports: ARTMATCH_NATIVE_DIR, then the checkout's
/// <c>.native/</c> (found by walking up from the binaries), then the system's default search.
/// </summary>
internal static partial class OrtLibrary
{
    public const string FileName = "libonnxruntime.so.1";

    public const string NativeDirVariable = "ARTMATCH_NATIVE_DIR";

    /// <summary>Runs once when the assembly loads, before any import can bind.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255",
        Justification = "A DllImport resolver must be registered before the first import binds; a library has no Main to do it.")]
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(OrtLibrary).Assembly, Resolve);

    /// <summary>The C API's only export: everything else is reached through the table it returns.</summary>
    [LibraryImport(FileName)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static unsafe partial nint* OrtGetApiBase();

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != FileName)
            return 0;
        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        }
        if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out var fallback))
            return fallback;
        throw new DllNotFoundException(
            $"ONNX Runtime ({FileName}) was not found in {NativeDirVariable}, in a .native/ folder above {AppContext.BaseDirectory}, " +
            "or on the system library path. Run ./scripts/setup.sh to install it.");
    }

    /// <summary>Folders searched before the system's own, most specific first.</summary>
    internal static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(NativeDirVariable) is { Length: > 0 } dir)
            yield return Path.Combine(dir, FileName);
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            yield return Path.Combine(folder.FullName, ".native", FileName);
    }
}
