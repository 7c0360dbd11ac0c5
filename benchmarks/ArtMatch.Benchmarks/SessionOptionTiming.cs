using System.Diagnostics;
using System.Text.Json;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Imaging;
using ArtMatch.Inference;
using ArtMatch.Server.Hosting;
using Microsoft.ML.OnnxRuntime;

namespace ArtMatch.Benchmarks;

/// <summary>
/// ONNX Runtime's session options compared on a busy shared machine, where BenchmarkDotNet's
/// one-after-another runs drift with other jobs' load: the candidates take turns round by round
/// in one process (describing the 1 MP query photo), and each reports the median wall time and the
/// median process CPU time (all threads, spinning included) per description.
/// </summary>
public static class SessionOptionTiming
{
    public static readonly (string Name, InferenceOptions Options)[] Candidates =
    [
        ("default", new InferenceOptions()),
        ("2-threads", new InferenceOptions { IntraOpThreads = 2 }),
        ("memory-pattern", new InferenceOptions { MemoryPattern = true }),
        ("session-per-size", new InferenceOptions { SessionPerInputSize = true, MemoryPattern = true }),
        ("optimise-extended", new InferenceOptions { GraphOptimization = GraphOptimizationLevel.ORT_ENABLE_EXTENDED }),
        ("optimise-basic", new InferenceOptions { GraphOptimization = GraphOptimizationLevel.ORT_ENABLE_BASIC }),
    ];

    public static int Run(int rounds)
    {
        var decoder = new VipsImageDecoder();
        var manifest = RepoLocator.ResolveManifest(null);
        var settings = new ArtMatchConfig().Describer;
        var describers = Candidates.Select(c => new ImageDescriber(decoder, OnnxFeatureExtractor.Open(manifest, c.Options), settings)).ToList();
        var photo = describers[0].Decode(Fixtures.Jpeg1Mp);
        foreach (var describer in describers)
            describer.Describe(photo, includeRegions: true);
        var wall = Candidates.Select(_ => new List<double>()).ToList();
        var cpu = Candidates.Select(_ => new List<double>()).ToList();
        var process = Process.GetCurrentProcess();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < describers.Count; i++)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var started = Stopwatch.GetTimestamp();
                describers[i].Describe(photo, includeRegions: true);
                wall[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                process.Refresh();
                cpu[i].Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
            }
        }
        var result = Candidates.Select((c, i) => new { options = c.Name, wall_ms_p50 = Median(wall[i]), cpu_ms_p50 = Median(cpu[i]) });
        Console.WriteLine(JsonSerializer.Serialize(new { rounds, results = result }));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return Math.Round(sorted[sorted.Count / 2], 1);
    }
}
