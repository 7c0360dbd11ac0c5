using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Grpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ArtMatch.Storage.Internal;
using Google.Protobuf;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Benchmarks;

/// <summary>Throughput and load measurements that BenchmarkDotNet's per-call model does not fit; each prints one JSON line.</summary>
public static class Scripts
{
    /// <summary>
    /// Decode (224 centre crop, shrink-on-load) + normalise + MobileNetV2 + pooling for every JPEG in a
    /// folder, <paramref name="workers"/> at a time: the same work as the Node peer's embed-folder.mjs.
    /// The first <paramref name="warmup"/> photos (at least one) are embedded before the clock starts,
    /// as the peer does with the same count.
    /// </summary>
    public static int Throughput(string folder, int workers, int repeat, int warmup = 1)
    {
        using var engine = Fixtures.Engine();
        var files = Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).Order().Select(File.ReadAllBytes).ToList();
        var work = Enumerable.Repeat(files, repeat).SelectMany(f => f).ToList();
        var manifest = engine.Describer.Manifest;
        void EmbedOne(byte[] photo)
        {
            var image = engine.Decoder.Decode(photo, new DecodeOptions(new ImageSize(224, 224), ResizeFit.CoverCentreCrop));
            // The tensor is rented, as ImageDescriber does (a new 600 KB array per image costs page faults).
            var rented = System.Buffers.ArrayPool<float>.Shared.Rent(3 * 224 * 224);
            try
            {
                var input = rented.AsSpan(0, 3 * 224 * 224);
                TensorBuilder.Fill(image, manifest.Input, input);
                var maps = engine.Extractor.Extract(input, 1, 224, 224);
                var vector = new float[maps.Channels];
                Pooling.Gem(maps.Item(0), maps.Channels, maps.Height, maps.Width, 3f, 0, maps.Height, 0, maps.Width, vector);
                Pooling.L2Normalize(vector);
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
            }
        }
        Parallel.ForEach(work.Take(Math.Clamp(warmup, 1, work.Count)), new ParallelOptions { MaxDegreeOfParallelism = workers }, EmbedOne);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = workers }, EmbedOne);
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            images = work.Count, seconds, images_per_second = work.Count / seconds, workers, warmup,
            cpu_ms_per_image = Math.Round(cpuMs / work.Count, 2),
        }));
        return 0;
    }

    /// <summary>
    /// Where the bulk embedding's time goes: the same work as <see cref="Throughput"/>, one image at a
    /// time, each stage timed (median ms over the folder, after one warm-up image).
    /// </summary>
    public static int ThroughputStages(string folder)
    {
        using var engine = Fixtures.Engine();
        var files = Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).Order().Select(File.ReadAllBytes).ToList();
        var manifest = engine.Describer.Manifest;
        var input = new float[3 * 224 * 224];
        var stages = new Dictionary<string, List<double>> { ["decode"] = [], ["tensor"] = [], ["model"] = [], ["pool"] = [] };
        for (int i = -1; i < files.Count; i++)
        {
            var clock = Stopwatch.StartNew();
            var image = engine.Decoder.Decode(files[Math.Max(i, 0)], new DecodeOptions(new ImageSize(224, 224), ResizeFit.CoverCentreCrop));
            var decode = clock.Elapsed.TotalMilliseconds;
            TensorBuilder.Fill(image, manifest.Input, input);
            var tensor = clock.Elapsed.TotalMilliseconds;
            var maps = engine.Extractor.Extract(input, 1, 224, 224);
            var model = clock.Elapsed.TotalMilliseconds;
            var vector = new float[maps.Channels];
            Pooling.Gem(maps.Item(0), maps.Channels, maps.Height, maps.Width, 3f, 0, maps.Height, 0, maps.Width, vector);
            Pooling.L2Normalize(vector);
            var pool = clock.Elapsed.TotalMilliseconds;
            if (i < 0)
                continue;
            stages["decode"].Add(decode);
            stages["tensor"].Add(tensor - decode);
            stages["model"].Add(model - tensor);
            stages["pool"].Add(pool - model);
        }
        Console.WriteLine(JsonSerializer.Serialize(stages.ToDictionary(s => s.Key + "_ms_p50", s => Math.Round(Percentile([.. s.Value.Order()], 0.5), 2))));
        return 0;
    }

    /// <summary>
    /// Match calls from <paramref name="clients"/> clients for <paramref name="seconds"/> through the
    /// generated client on one Grpc.Net.Client channel: one photo, or every JPEG of a folder in name
    /// order, each call sending the next (a mix of photos, round robin over all clients). Every photo
    /// is matched once before the clock starts. Prints requests/s and latency percentiles of the
    /// admitted calls, refusals (RESOURCE_EXHAUSTED, retried after 100 ms) and other errors. Waits
    /// first (up to two minutes) for the server's health to report artmatch.v1.ArtMatch SERVING.
    /// With <paramref name="keysPath"/> (one API key a line) client i presents key i: as many
    /// officers, each its own caller to admission control. Without it every client is the same
    /// caller, whose share (MaxPerCaller) is smaller than the server's whole queue.
    /// </summary>
    public static int GrpcLoad(string address, string photoPath, int clients, double seconds, string? keysPath = null)
    {
        using var channel = ArtMatchChannel.ForAddress(address);
        WaitUntilServing(channel, TimeSpan.FromMinutes(2));
        var client = channel.CreateArtMatchClient();
        var photos = Directory.Exists(photoPath) ? Directory.GetFiles(photoPath, "*.jpg").Order(StringComparer.Ordinal).ToArray() : [photoPath];
        if (photos.Length == 0)
            throw new ArgumentException($"No .jpg photos in {photoPath}.");
        var requests = photos.Select(path => new Wire.MatchRequest { Photo = ByteString.CopyFrom(File.ReadAllBytes(path)), TopK = 5 }).ToArray();
        string[] keys = keysPath is null ? [] : File.ReadAllLines(keysPath).Where(k => k.Length > 0).ToArray();
        Metadata? Headers(int client) => keys.Length == 0 ? null : new Metadata { { "authorization", $"Bearer {keys[client % keys.Length]}" } };
        foreach (var warm in requests)
            client.Match(warm, Headers(0));
        int sent = -1;
        var latencies = new List<double>();
        var until = DateTime.UtcNow.AddSeconds(seconds);
        int errors = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(async index =>
        {
            var headers = Headers(index);
            while (DateTime.UtcNow < until)
            {
                var request = requests[(int)((uint)Interlocked.Increment(ref sent) % (uint)requests.Length)];
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.MatchAsync(request, headers);
                    lock (latencies)
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    // Admission control said busy: back off as a client should, rather than spin.
                    Interlocked.Increment(ref refused);
                    await Task.Delay(100);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToArray();
        Task.WaitAll(tasks);
        double elapsed = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            clients, callers = keys.Length == 0 ? 1 : Math.Min(clients, keys.Length), photos = photos.Length, requests = latencies.Count, refused, errors, seconds = elapsed, requests_per_second = latencies.Count / elapsed,
            p50_ms = Percentile(latencies, 0.50), p99_ms = Percentile(latencies, 0.99),
        }));
        return 0;
    }

    private static void WaitUntilServing(GrpcChannel channel, TimeSpan limit)
    {
        var health = new Health.HealthClient(channel);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var check = new HealthCheckRequest { Service = "artmatch.v1.ArtMatch" };
                if (health.Check(check, deadline: DateTime.UtcNow.AddSeconds(5)).Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    return;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                // Not listening yet.
            }
            if (clock.Elapsed > limit)
                throw new TimeoutException($"artmatch.v1.ArtMatch not SERVING after {limit.TotalSeconds:0} s.");
            Thread.Sleep(500);
        }
    }

    /// <summary>
    /// Every vector the product pipeline makes for an eval set's catalogue pictures and queries, as raw
    /// float32 files with a TSV of (picture, object id, region, kind, path) per row, for offline
    /// experiments on the first-stage search (benchmarks/whitening.py).
    /// </summary>
    public static int DumpDescriptors(string set, string folder)
    {
        Directory.CreateDirectory(folder);
        using var engine = Fixtures.Engine();
        var describer = engine.Describer;
        var catalogue = File.ReadAllLines(Path.Combine(set, "catalog.csv")).Skip(1).Select(l => l.Split(',')).Select(a => (Id: a[0], Path: a[1], Kind: "catalogue"));
        var queries = File.ReadAllLines(Path.Combine(set, "queries.csv")).Skip(1).Select(l => l.Split(',')).Select(a => (Id: a[1], Path: a[0], Kind: a[2]));
        foreach (var (name, items, forCatalogue) in new[] { ("catalogue", catalogue.ToList(), true), ("queries", queries.ToList(), false) })
        {
            var descriptions = new ImageDescription[items.Count];
            Parallel.For(0, items.Count, i => descriptions[i] = describer.Describe(
                describer.Decode(File.ReadAllBytes(Path.Combine(set, items[i].Path))), includeRegions: true, forCatalogue));
            using var vectors = new BinaryWriter(File.Create(Path.Combine(folder, name + ".f32")));
            using var rows = new StreamWriter(Path.Combine(folder, name + ".tsv"));
            for (int i = 0; i < items.Count; i++)
            {
                var all = descriptions[i].AllVectors();
                for (int region = 0; region < all.Count; region++)
                {
                    vectors.Write(MemoryMarshal.AsBytes(all[region].AsSpan()));
                    rows.WriteLine($"{i}\t{items[i].Id}\t{region}\t{items[i].Kind}\t{items[i].Path}");
                }
            }
        }
        Console.WriteLine(JsonSerializer.Serialize(new { folder }));
        return 0;
    }

    /// <summary>Random unit vectors and queries as raw float32 files, for ArtMatch and FAISS to search alike.</summary>
    public static int ExportVectors(string folder, int rows, int queries)
    {
        const int Dim = 1280;
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "vectors.f32"), MemoryMarshal.AsBytes(Fixtures.RandomUnitVectors(rows, Dim, 11).AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "queries.f32"), MemoryMarshal.AsBytes(Fixtures.RandomUnitVectors(queries, Dim, 12).AsSpan()).ToArray());
        return 0;
    }

    /// <summary>ArtMatch's exact search on the exported vectors, one query at a time, at 1 and 2 threads.</summary>
    public static int SearchTiming(string folder)
    {
        const int Dim = 1280;
        var vectors = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, "vectors.f32"))).ToArray();
        var queries = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, "queries.f32"))).ToArray();
        int rows = vectors.Length / Dim;
        var index = new VectorIndex(Dim);
        for (int row = 0; row < rows; row++)
        {
            // One object per vector, as FAISS sees them: collapse has nothing to merge.
            index.SetObject(new CulturalObject { ObjectId = "o" + row });
            index.Add("o" + row, "i" + row, 0, vectors.AsSpan(row * Dim, Dim));
        }
        var result = new Dictionary<string, object> { ["vectors"] = rows, ["dim"] = Dim, ["queries"] = queries.Length / Dim };
        foreach (int threads in new[] { 1, 2 })
        {
            index.MaxParallelism = threads;
            var times = new List<double>();
            for (int q = 0; q < queries.Length / Dim; q++)
            {
                var query = queries.AsSpan(q * Dim, Dim);
                var started = Stopwatch.GetTimestamp();
                index.Search(query, 10, SearchFilter.None);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            times.Sort();
            result[$"threads_{threads}"] = new { p50_ms = Percentile(times, 0.5), p99_ms = Percentile(times, 0.99) };
        }
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>A folder of 1.2 MP JPEG photos (dev catalogue pictures scaled up), like auction-catalogue scans.</summary>
    public static int MakePhotos(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var decoder = new ArtMatch.Imaging.VipsImageDecoder();
        var sources = Directory.EnumerateDirectories(Path.Combine(Fixtures.DevSet, "catalog")).Order().Take(count).ToList();
        Parallel.ForEach(sources, source =>
        {
            var image = decoder.Decode(File.ReadAllBytes(Path.Combine(source, "1.jpg")), DecodeOptions.LongSide(100_000, allowUpscale: false));
            double scale = Math.Sqrt(1_200_000.0 / (image.Width * image.Height));
            var big = ImageOps.Resize(image, (int)(image.Width * scale), (int)(image.Height * scale));
            File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(source) + ".jpg"), ArtMatch.Imaging.Internal.VipsEncoder.EncodeJpeg(big, 88));
        });
        return 0;
    }

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
