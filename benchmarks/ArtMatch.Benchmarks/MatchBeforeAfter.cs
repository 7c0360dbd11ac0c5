using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;
using BenchmarkDotNet.Attributes;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Match of the 12 MP and 1 MP photos against the dev catalogue, this build beside an older build in
/// one BenchmarkDotNet run (each case runs in its own process, so the two builds' native engines
/// never meet). The older build is a Release build of an earlier checkout whose own setup has run,
/// named by ARTMATCH_BEFORE (its root); its engine is loaded in an isolated AssemblyLoadContext and
/// driven by reflection, with its libvips and ONNX Runtime from where its setup put them.
/// Each build imports the catalogue once (<see cref="ImportedStores"/>) and every case matches
/// against a copy of that store, so the run costs two imports, not one per case.
/// ARTMATCH_MATCH_CATALOGUE names another catalogue CSV (a smaller one for a quick run).
/// Run: ARTMATCH_BEFORE=/path/to/old/checkout dotnet run -c Release --project
/// benchmarks/ArtMatch.Benchmarks -- --filter '*MatchBeforeAfter*' --memory
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class MatchBeforeAfterBenchmarks
{
    private object? _before;
    private MethodInfo? _beforeMatch;
    private ArtMatchEngine? _after;
    private string _store = "";
    private byte[] _photo = [];

    [Params("after", "before")]
    public string Build { get; set; } = "";

    [Params("jpeg-12mp", "jpeg-1mp")]
    public string Input { get; set; } = "";

    private static string Catalogue =>
        Environment.GetEnvironmentVariable("ARTMATCH_MATCH_CATALOGUE") is { Length: > 0 } csv ? Path.GetFullPath(csv) : Path.Combine(Fixtures.DevSet, "catalog.csv");

    [GlobalSetup]
    public void Setup()
    {
        _photo = Input == "jpeg-12mp" ? Fixtures.Jpeg12Mp : Fixtures.Jpeg1Mp;
        if (Build == "after")
        {
            _store = ImportedStores.CopyFor("after", AppContext.BaseDirectory, Catalogue, store =>
            {
                using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(store);
                engine.Importer!.Import(CatalogFile.Read(Catalogue));
            });
            _after = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store);
            return;
        }
        string root = Environment.GetEnvironmentVariable("ARTMATCH_BEFORE") is { Length: > 0 } dir
            ? dir : throw new InvalidOperationException("Set ARTMATCH_BEFORE to the root of the older checkout (built in Release, its setup run).");
        // The older build finds its ONNX Runtime through this variable (its setup's .native folder).
        Environment.SetEnvironmentVariable("ARTMATCH_NATIVE_DIR", Path.Combine(root, ".native"));
        string folder = Path.Combine(root, "benchmarks", "ArtMatch.Benchmarks", "bin", "Release", "net10.0");
        var older = new OlderBuild(new OlderBuildContext(folder));
        _store = ImportedStores.CopyFor("before", folder, Catalogue, store =>
        {
            using var engine = (IDisposable)older.OpenEngine(store);
            older.Import(engine, Catalogue);
        });
        // The older build's own MatchBenchmarks, given the engine over the copy (its Match() is the
        // call measured, its Cleanup() disposes the engine and deletes the copy).
        var type = older.Type("ArtMatch.Benchmarks", "ArtMatch.Benchmarks.MatchBenchmarks");
        _before = Activator.CreateInstance(type)!;
        type.GetProperty("Input")!.SetValue(_before, Input);
        type.GetProperty("Pipeline")!.SetValue(_before, "product");
        older.SetField(_before, "_engine", older.OpenEngine(_store));
        older.SetField(_before, "_store", _store);
        older.SetField(_before, "_photo", _photo);
        _beforeMatch = type.GetMethod("Match")!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_after is not null)
        {
            _after.Dispose();
            Directory.Delete(_store, recursive: true);
        }
        _before?.GetType().GetMethod("Cleanup")!.Invoke(_before, null);
    }

    [Benchmark]
    public object Match() => _after is not null ? _after.RequireMatcher().Match(_photo, new MatchRequest()) : _beforeMatch!.Invoke(_before, null)!;

    /// <summary>The older build's engine, catalogue reader and importer, reached by name.</summary>
    private sealed class OlderBuild(AssemblyLoadContext context)
    {
        public Type Type(string assembly, string name) =>
            context.LoadFromAssemblyName(new AssemblyName(assembly)).GetType(name, throwOnError: true)!;

        public object OpenEngine(string store)
        {
            var config = Activator.CreateInstance(Type("ArtMatch.Core", "ArtMatch.Core.Configuration.ArtMatchConfig"))!;
            var engineType = Type("ArtMatch.Server", "ArtMatch.Server.Hosting.ArtMatchEngine");
            var engine = engineType.GetMethod("Create")!.Invoke(null, [config, false])!;
            return engineType.GetMethod("OpenStore")!.Invoke(engine, [store])!;
        }

        public void Import(object engine, string catalogue)
        {
            var read = Type("ArtMatch.Core", "ArtMatch.Core.Import.CatalogFile").GetMethods()
                .First(m => m.Name == "Read" && m.GetParameters()[0].ParameterType == typeof(string));
            var entries = read.Invoke(null, [catalogue, .. read.GetParameters().Skip(1).Select(p => p.DefaultValue)]);
            var importer = engine.GetType().GetProperty("Importer")!.GetValue(engine)!;
            var import = importer.GetType().GetMethod("Import")!;
            import.Invoke(importer, [entries, .. import.GetParameters().Skip(1).Select(p => p.HasDefaultValue ? p.DefaultValue : null)]);
        }

        public void SetField(object target, string name, object value) =>
            target.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(target, value);
    }

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
