using System.Diagnostics;
using ArtMatch.TestSupport;

namespace ArtMatch.Qdrant.Tests;

/// <summary>The Docker deployment: the image builds what the tests build, and the compose file validates (Debian's docker-compose; no engine needed).</summary>
public class DeploymentFilesTests
{
    private static string Read(string relative) => File.ReadAllText(Path.Combine(RepoPaths.Root, relative));

    [Fact]
    public void Dockerfile_RunsSetupAndBuildsTheSolutionAsTestShDoes()
    {
        string dockerfile = Read("Dockerfile"), testSh = Read("scripts/test.sh");
        const string build = "dotnet build ArtMatch.sln -c Release";
        Assert.Contains(build, testSh);
        Assert.Contains(build, dockerfile);
        Assert.Contains("./scripts/setup.sh", dockerfile);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0", dockerfile);
    }

    [DockerComposeFact]
    public void ComposeFile_ValidatesAndPointsServeAtThePinnedQdrant()
    {
        var (exit, output) = DockerCompose("config");
        Assert.True(exit == 0, output);
        Assert.Contains("image: qdrant/qdrant:v1.20.0", output);
        Assert.Contains("qdrant://qdrant:6334", output);
        Assert.Contains("condition: service_healthy", output);
        Assert.Contains("/readyz", output);
    }

    private static (int Exit, string Output) DockerCompose(string arguments)
    {
        var start = new ProcessStartInfo("docker-compose", $"-f docker-compose.yml {arguments}")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            return (-1, "docker-compose did not finish within 60 s");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>Runs where Debian's docker-compose is installed (scripts/setup.sh installs it); says so in the output otherwise.</summary>
public sealed class DockerComposeFactAttribute : FactAttribute
{
    public DockerComposeFactAttribute()
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "docker-compose")));
        if (!found)
            Skip = "docker-compose is not installed (scripts/setup.sh installs it): docker-compose.yml was NOT validated";
    }
}
