using System.Diagnostics;
using System.Text.Json;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests;

/// <summary>
/// ArtMatch on a real Kestrel port, called by two independent gRPC implementations: Debian's
/// python3-grpcio (messages from stubs that the same protoc generates) and npm @grpc/grpc-js.
/// </summary>
public sealed class InteropTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private static readonly string InteropDir = Path.Combine(RepoPaths.Root, "tests", "ArtMatch.Server.Tests", "Interop");
    private static readonly string Protos = Path.Combine(RepoPaths.Root, "protos");

    public static TheoryData<string> Clients => new() { "python", "node" };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Match_RealPhoto_FindsTheObject(string client)
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;
        var target = fixture.Objects[7];

        var result = Run(client, address, "match", target.Image);

        Assert.Equal(target.Id, result.GetProperty("object_id").GetString());
        Assert.Equal("MATCH", result.GetProperty("verdict").GetString());
        Assert.Equal(3, result.GetProperty("candidates").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task ScreenBatch_TwentyPhotos_OneResultEach(string client)
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;
        var photos = fixture.Objects.Take(20).ToList();

        var result = Run(client, address, "screen", [.. photos.Select(p => p.Image)]);

        var results = result.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(20, results.Count);
        for (int i = 0; i < 20; i++)
            Assert.Equal(photos[i].Id, results.Single(r => r.GetProperty("caller_id").GetString() == $"photo-{i}").GetProperty("object_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Match_DeadlineTooShort_IsDeadlineExceeded(string client)
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;

        var result = Run(client, address, "deadline", fixture.Objects[0].Image);

        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Match_NotAnImage_IsInvalidArgumentWithMessage(string client)
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;
        var text = Path.Combine(fixture.StoreDirectory, $"not-an-image-{client}.jpg");
        File.WriteAllText(text, "hello");

        var result = Run(client, address, "match", text);

        Assert.Equal("INVALID_ARGUMENT", result.GetProperty("code").GetString());
        Assert.Contains("Not a supported image", result.GetProperty("details").GetString());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Match_TenMegabytePhoto_IsAnswered(string client)
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;
        // A real JPEG followed by 10 MB of trailing bytes after its end marker: a 10 MB message decoders accept.
        var target = fixture.Objects[3];
        var big = Path.Combine(fixture.StoreDirectory, $"big-{client}.jpg");
        File.WriteAllBytes(big, [.. File.ReadAllBytes(target.Image), .. new byte[10 * 1024 * 1024]]);

        var result = Run(client, address, "match", big);

        Assert.Equal(target.Id, result.GetProperty("object_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Health_IsServing(string client)
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;

        Assert.True(Run(client, address, "health").GetProperty("serving").GetBoolean());
    }

    [Fact]
    public async Task Reflection_Python_ListsTheServices()
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;

        var services = Run("python", address, "reflection").GetProperty("services").EnumerateArray().Select(s => s.GetString()).ToList();

        Assert.Equal(["artmatch.v1.ArtMatch", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"], services);
    }

    [Fact]
    public async Task Catalogue_NodeSearchAndPythonUpsert_WorkTogether()
    {
        var (app, address) = await fixture.StartKestrelAsync();
        await using var _ = app;

        var upsert = Run("python", address, "upsert", "INTEROP-1", fixture.Objects[24].Image);
        var search = Run("node", address, "search", "Interop");
        var delete = Run("node", address, "delete", "INTEROP-1");

        Assert.True(upsert.GetProperty("created").GetBoolean());
        Assert.Contains("INTEROP-1", search.GetProperty("objects").EnumerateArray().Select(o => o.GetString()));
        Assert.True(delete.GetProperty("deleted").GetBoolean());
    }

    private static JsonElement Run(string client, string address, string command, params string[] args)
    {
        ProcessStartInfo info;
        if (client == "python")
        {
            info = new ProcessStartInfo("/usr/bin/python3");
            info.ArgumentList.Add(Path.Combine(InteropDir, "client.py"));
            info.ArgumentList.Add(PythonStubs.Value);
        }
        else
        {
            if (!Directory.Exists(Path.Combine(InteropDir, "node_modules", "@grpc", "grpc-js")))
                throw new InvalidOperationException($"@grpc/grpc-js is not installed in {InteropDir}: run ./scripts/setup.sh.");
            info = new ProcessStartInfo("node") { WorkingDirectory = InteropDir };
            info.ArgumentList.Add(Path.Combine(InteropDir, "client.js"));
            info.ArgumentList.Add(Protos);
        }
        info.ArgumentList.Add(address);
        info.ArgumentList.Add(command);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{client} {command} did not finish");
        }
        var line = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"{client} {command} printed nothing (exit {process.ExitCode}): {stderr.Result}");
        return JsonDocument.Parse(line).RootElement;
    }

    /// <summary>Python message classes generated by the protoc that Grpc.Tools ships (the one that generated the C# code).</summary>
    private static readonly Lazy<string> PythonStubs = new(() =>
    {
        var output = Directory.CreateTempSubdirectory("artmatch-pystubs-").FullName;
        // reflection.proto is generated from a flat copy: its own package path would shadow the grpc module.
        var flat = Directory.CreateTempSubdirectory("artmatch-protos-").FullName;
        File.Copy(Path.Combine(Protos, "grpc", "reflection", "v1alpha", "reflection.proto"), Path.Combine(flat, "reflection.proto"));
        Protoc($"-I {Protos} --python_out={output} {Path.Combine(Protos, "artmatch", "v1", "artmatch.proto")}");
        Protoc($"-I {flat} --python_out={output} {Path.Combine(flat, "reflection.proto")}");
        return output;
    });

    private static void Protoc(string arguments)
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var protoc = Path.Combine(packages, "grpc.tools", "2.50.0", "tools", "linux_x64", "protoc");
        using var process = Process.Start(new ProcessStartInfo(protoc, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"protoc {arguments} failed: {error}");
    }
}
