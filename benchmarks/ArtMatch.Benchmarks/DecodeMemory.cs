using System.Text.Json;
using ArtMatch.Core.Imaging;
using ArtMatch.Imaging;

namespace ArtMatch.Benchmarks;

/// <summary>
/// Resident memory while decoding many distinct uploads, as a long-running server does: every dev
/// catalogue picture decoded to 640 px, the whole set <c>rounds</c> times, two at a time; RSS and
/// libvips' own tracked memory sampled every 100 decodes. "libvips-default-cache" puts libvips'
/// default operation cache back (100 operations, 100 MB, 100 files) to compare with the product's.
/// </summary>
public static class DecodeMemory
{
    public static int Run(int rounds, string cache)
    {
        var decoder = new VipsImageDecoder();
        if (cache == "libvips-default-cache")
        {
            NetVips.Cache.Max = 100;
            NetVips.Cache.MaxMem = 100 * 1024 * 1024;
            NetVips.Cache.MaxFiles = 100;
        }
        var files = Directory.EnumerateDirectories(Path.Combine(Fixtures.DevSet, "catalog")).Order()
            .SelectMany(d => Directory.EnumerateFiles(d, "*.jpg")).ToList();
        var samples = new List<object> { Sample(0) };
        int done = 0;
        for (int round = 0; round < rounds; round++)
        {
            for (int start = 0; start < files.Count; start += 100)
            {
                Parallel.ForEach(files.Skip(start).Take(100), new ParallelOptions { MaxDegreeOfParallelism = 2 },
                    f => decoder.Decode(File.ReadAllBytes(f), DecodeOptions.LongSide(640)));
                done += Math.Min(100, files.Count - start);
                GC.Collect();
                samples.Add(Sample(done));
            }
        }
        Console.WriteLine(JsonSerializer.Serialize(new { cache, pictures = files.Count, rounds, samples }));
        return 0;
    }

    private static object Sample(int decodes)
    {
        var status = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        long rssKb = long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return new { decodes, rss_mb = rssKb / 1024, vips_tracked_mb = NetVips.Stats.Mem / 1048576.0, vips_cached_ops = NetVips.Cache.Size };
    }
}
