using System.Diagnostics;
using System.Text.Json;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// The independent clients: Debian's python3-grpcio (message modules generated now by Debian's protoc,
/// protobuf-compiler, the release of Debian's python3-protobuf runtime) and
/// @grpc/grpc-js (installed into tests/ArtMatch.Server.Tests/Interop by scripts/setup.sh). Both take
/// the .proto files from the repository's protos/.
/// </summary>
public static class InteropPeers
{
    // The Debian interpreter: a pyenv python may come first on PATH and lacks the grpc modules.
    private const string Python = "/usr/bin/python3";

    public static readonly string Directory = Path.Combine(RepoPaths.Root, "tests", "ArtMatch.Server.Tests", "Interop");
    private static readonly string Protos = Path.Combine(RepoPaths.Root, "protos");
    private static readonly Lazy<Task<string>> PythonStubs = new(GeneratePythonStubsAsync);

    /// <summary>Runs client.py or client.js against <paramref name="address"/> with <paramref name="plan"/>; its JSON answer.</summary>
    public static async Task<JsonElement> RunAsync(string client, string address, string plan)
    {
        string stdout = client switch
        {
            "python" => await RunProcessAsync(Python, [Path.Combine(Directory, "client.py"), await PythonStubs.Value, address, plan], Directory),
            "node" => await RunNodeAsync(address, plan),
            _ => throw new ArgumentOutOfRangeException(nameof(client), client, "python or node"),
        };
        string last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"The {client} client printed nothing.");
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    private static Task<string> RunNodeAsync(string address, string plan)
    {
        if (!File.Exists(Path.Combine(Directory, "node_modules", "@grpc", "grpc-js", "package.json")))
            throw new InvalidOperationException($"@grpc/grpc-js is not installed in {Directory}: run ./scripts/setup.sh.");
        return RunProcessAsync("node", [Path.Combine(Directory, "client.js"), Protos, address, plan], Directory);
    }

    // Health and reflection are generated from flat copies: a "grpc/..." package folder would shadow
    // the grpc module itself. Only the file names change; the services keep their full names.
    private static async Task<string> GeneratePythonStubsAsync()
    {
        string output = System.IO.Directory.CreateTempSubdirectory("artmatch-pystubs-").FullName;
        string flat = System.IO.Directory.CreateTempSubdirectory("artmatch-protos-").FullName;
        File.Copy(Path.Combine(Protos, "grpc", "health", "v1", "health.proto"), Path.Combine(flat, "health.proto"));
        File.Copy(Path.Combine(Protos, "grpc", "reflection", "v1alpha", "reflection.proto"), Path.Combine(flat, "reflection.proto"));
        const string Hint = "needs Debian's protoc, package protobuf-compiler (scripts/setup.sh installs it)";
        await RunProcessAsync("protoc", ["-I", Protos, "--python_out", output, "artmatch/v1/artmatch.proto"], Protos, Hint);
        await RunProcessAsync("protoc", ["-I", flat, "--python_out", output, "health.proto", "reflection.proto"], flat, Hint);
        return output;
    }

    public static async Task<string> RunProcessAsync(string program, string[] arguments, string workingDirectory, string? hint = null)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(30)); // a guard, not a measurement
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
