using System.Diagnostics;
using System.Text;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// The real `artmatch serve` (the CLI this build made, same configuration as the tests), run as its
/// own process; ready once it says it serves, which it prints after the catalogue has loaded.
/// </summary>
public sealed class ServeProcess : IDisposable
{
    // A guard against a server that never comes up, not a measurement.
    private static readonly TimeSpan StartGuard = TimeSpan.FromMinutes(10);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process) => _process = process;

    /// <summary>The server's process id (its CPU time is read from /proc by the reliability suite).</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>artmatch.dll of the CLI built in the same configuration (Debug or Release) as this test assembly.</summary>
    public static string CliDll
    {
        get
        {
            string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            string dll = Path.Combine(RepoPaths.Root, "src", "ArtMatch.Cli", "bin", configuration, "net10.0", "artmatch.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"The CLI is not built: {dll}", dll);
        }
    }

    public static async Task<ServeProcess> StartAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliDll);
        start.ArgumentList.Add("serve");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start artmatch serve.");
        var serve = new ServeProcess(process);
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
                return;
            lock (serve._output)
                serve._output.AppendLine(e.Data);
            if (e.Data.StartsWith("ArtMatch serving", StringComparison.Ordinal))
                serving.TrySetResult();
        }
        process.OutputDataReceived += Read;
        process.ErrorDataReceived += Read;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(serving.Task, exited, Task.Delay(StartGuard)) != serving.Task)
        {
            serve.Dispose();
            throw new InvalidOperationException($"artmatch serve {string.Join(' ', arguments)} did not come up:\n{serve.Output}");
        }
        return serve;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
