using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using BenchmarkDotNet.Attributes;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Match of the 12 MP and 1 MP photos against the dev catalogue, this build beside an older build in
/// one BenchmarkDotNet run (each case runs in its own process, so the two builds' native engines
/// never meet). The older build is a Release build of an earlier checkout whose own setup has run,
/// named by ARTMATCH_BEFORE (its root); its MatchBenchmarks class is loaded in an isolated
/// AssemblyLoadContext and driven by reflection, with its libvips and ONNX Runtime from where its
/// setup put them. Run: ARTMATCH_BEFORE=/path/to/old/checkout dotnet run -c Release --project
/// benchmarks/ArtMatch.Benchmarks -- --filter '*MatchBeforeAfter*' --memory
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class MatchBeforeAfterBenchmarks
{
    private object? _before;
    private MethodInfo? _beforeMatch;
    private MatchBenchmarks? _after;

    [Params("after", "before")]
    public string Build { get; set; } = "";

    [Params("jpeg-12mp", "jpeg-1mp")]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        if (Build == "after")
        {
            _after = new MatchBenchmarks { Input = Input, Pipeline = "product" };
            _after.Setup();
            return;
        }
        string root = Environment.GetEnvironmentVariable("ARTMATCH_BEFORE") is { Length: > 0 } dir
            ? dir : throw new InvalidOperationException("Set ARTMATCH_BEFORE to the root of the older checkout (built in Release, its setup run).");
        // The older build finds its ONNX Runtime through this variable (its setup's .native folder).
        Environment.SetEnvironmentVariable("ARTMATCH_NATIVE_DIR", Path.Combine(root, ".native"));
        var context = new OlderBuildContext(Path.Combine(root, "benchmarks", "ArtMatch.Benchmarks", "bin", "Release", "net10.0"));
        var type = context.LoadFromAssemblyName(new AssemblyName("ArtMatch.Benchmarks")).GetType("ArtMatch.Benchmarks.MatchBenchmarks", throwOnError: true)!;
        _before = Activator.CreateInstance(type)!;
        type.GetProperty("Input")!.SetValue(_before, Input);
        type.GetProperty("Pipeline")!.SetValue(_before, "product");
        type.GetMethod("Setup")!.Invoke(_before, null);
        _beforeMatch = type.GetMethod("Match")!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _after?.Cleanup();
        _before?.GetType().GetMethod("Cleanup")!.Invoke(_before, null);
    }

    [Benchmark]
    public object Match() => _after is not null ? _after.Match() : _beforeMatch!.Invoke(_before, null)!;

    /// <summary>
    /// Loads the older build's assemblies from its own folder (every one it has there, ArtMatch's and
    /// their packages'), and its libvips from the system, where its setup installed it: the name alone
    /// would find the libvips this build's package puts beside the benchmarks.
    /// </summary>
    private sealed class OlderBuildContext(string folder) : AssemblyLoadContext("artmatch-before", isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string name)
        {
            if (name.StartsWith("libvips", StringComparison.Ordinal))
                return NativeLibrary.Load("/usr/lib/x86_64-linux-gnu/libvips.so.42");
            return IntPtr.Zero;
        }
    }
}
