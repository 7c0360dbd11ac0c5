using System.Diagnostics;
using System.Text.Json;
using ArtMatch.TestSupport;

namespace ArtMatch.Grpc.Tests.Support;

/// <summary>
/// The independent clients of the interop tests: Debian's python3-grpcio (stubs generated now with
/// grpc_tools.protoc from python3-grpc-tools) and @grpc/grpc-js (npm-installed once into the test
/// output folder). Both take their .proto files from the repository, flattened into one folder.
/// </summary>
internal static class InteropPeers
{
    // The Debian interpreter: a pyenv python may come first on PATH and lacks the grpc modules.
    private const string Python = "/usr/bin/python3";

    private static readonly string InteropDir = Path.Combine(AppContext.BaseDirectory, "Interop");
    private static readonly Lazy<Task<string>> ProtoDir = new(CopyProtosAsync);
    private static readonly Lazy<Task<string>> PythonStubDir = new(GeneratePythonStubsAsync);
    private static readonly Lazy<Task<string>> NodeDir = new(InstallNodeClientAsync);

    public static async Task<JsonElement> RunPythonAsync(int port, string scenario)
    {
        string stubs = await PythonStubDir.Value;
        return Parse(await RunAsync(Python, [Path.Combine(InteropDir, "python_client.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), scenario, stubs], InteropDir));
    }

    public static async Task<JsonElement> RunNodeAsync(int port, string scenario)
    {
        string nodeDir = await NodeDir.Value;
        string protos = await ProtoDir.Value;
        return Parse(await RunAsync("node", [Path.Combine(nodeDir, "js_client.mjs"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), scenario, protos], nodeDir));
    }

    private static JsonElement Parse(string stdout)
    {
        string last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new InvalidOperationException("The interop client printed nothing.");
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    // Python module names come from file names, and a "grpc/health/..." folder would shadow the grpc
    // package itself; the services keep their full names, which is all the wire carries.
    private static Task<string> CopyProtosAsync()
    {
        string dir = Directory.CreateTempSubdirectory("artmatch-grpc-protos-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Protos", "echo.proto"), Path.Combine(dir, "echo.proto"));
        File.Copy(Path.Combine(RepoPaths.Root, "protos", "grpc", "health", "v1", "health.proto"), Path.Combine(dir, "health.proto"));
        File.Copy(Path.Combine(RepoPaths.Root, "protos", "grpc", "reflection", "v1alpha", "reflection.proto"), Path.Combine(dir, "reflection.proto"));
        return Task.FromResult(dir);
    }

    private static async Task<string> GeneratePythonStubsAsync()
    {
        string protos = await ProtoDir.Value;
        string output = Directory.CreateTempSubdirectory("artmatch-grpc-pystubs-").FullName;
        await RunAsync(Python, ["-m", "grpc_tools.protoc", "-I", protos, "--python_out", output, "--grpc_python_out", output, "echo.proto", "health.proto", "reflection.proto"], protos,
            hint: "needs the Debian package python3-grpc-tools (apt-get install python3-grpc-tools)");
        return output;
    }

    // scripts/setup.sh may already have run npm install in the source folder; else install once here.
    private static async Task<string> InstallNodeClientAsync()
    {
        string source = Path.Combine(RepoPaths.Root, "tests", "ArtMatch.Grpc.Tests", "Interop");
        if (HasNodeClient(source))
            return source;
        string dir = Path.Combine(AppContext.BaseDirectory, "interop-node");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(InteropDir, "package.json"), Path.Combine(dir, "package.json"), overwrite: true);
        File.Copy(Path.Combine(InteropDir, "js_client.mjs"), Path.Combine(dir, "js_client.mjs"), overwrite: true);
        if (!HasNodeClient(dir))
        {
            await RunAsync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"], dir,
                hint: "installs @grpc/grpc-js and @grpc/proto-loader from the npm registry");
        }
        return dir;
    }

    private static bool HasNodeClient(string dir) =>
        File.Exists(Path.Combine(dir, "node_modules", "@grpc", "grpc-js", "package.json"))
        && File.Exists(Path.Combine(dir, "node_modules", "@grpc", "proto-loader", "package.json"));

    private static async Task<string> RunAsync(string program, string[] arguments, string workingDirectory, string? hint = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // a guard, not a measurement
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}{(hint is null ? "" : $" ({hint})")}:\n{await stderr}\n{await stdout}");
        return await stdout;
    }
}
