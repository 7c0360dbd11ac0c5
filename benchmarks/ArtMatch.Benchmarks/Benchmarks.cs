using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Import;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;
using ArtMatch.Storage.Internal;
using BenchmarkDotNet.Attributes;

namespace ArtMatch.Benchmarks;

/// <summary>Decode + shrink-on-load to the pipeline's 640 px, and to the plain 224 px centre crop.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class DecodeBenchmarks
{
    private readonly ArtMatch.Imaging.VipsImageDecoder _decoder = new();
    private byte[] _photo = [];

    [Params("jpeg-12mp", "jpeg-1mp", "avif-1mp")]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _photo = Input switch { "jpeg-12mp" => Fixtures.Jpeg12Mp, "jpeg-1mp" => Fixtures.Jpeg1Mp, _ => Fixtures.Avif };

    [Benchmark]
    public RgbImage DecodeTo640() => _decoder.Decode(_photo, DecodeOptions.LongSide(640, allowUpscale: false));

    [Benchmark]
    public RgbImage DecodeTo224Crop() => _decoder.Decode(_photo, new DecodeOptions(new ImageSize(224, 224), ResizeFit.CoverCentreCrop));
}

/// <summary>Resizing and tensor filling in managed code (Core).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class PreprocessBenchmarks
{
    private RgbImage _image = null!;
    private readonly float[] _tensor = new float[3 * 320 * 224];
    private readonly ModelInput _input = ModelManifest.Load(RepoLocator.ResolveManifest(null)).Input;

    [GlobalSetup]
    public void Setup() => _image = new ArtMatch.Imaging.VipsImageDecoder().Decode(Fixtures.Jpeg1Mp, DecodeOptions.LongSide(640));

    [Benchmark]
    public RgbImage Resize640To320() => ImageOps.Resize(_image, 320, 224);

    [Benchmark]
    public float[] FillTensor320()
    {
        TensorBuilder.Fill(ImageOps.Resize(_image, 320, 224), _input, _tensor);
        return _tensor;
    }
}

/// <summary>The model alone at 224 px, batch 1 and 8 (one ORT thread), and the query description of the pipeline.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class EmbedBenchmarks
{
    private ArtMatchEngine _engine = null!;
    private float[] _input = [];
    private RgbImage _photo = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = Fixtures.Engine();
        _input = Fixtures.RandomUnitVectors(Batch * 3, 224 * 224, 1);
        _photo = _engine.Describer.Decode(Fixtures.Jpeg1Mp);
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    [Benchmark]
    public FeatureMaps Model224() => _engine.Extractor.Extract(_input, Batch, 224, 224);

    [Benchmark]
    public ImageDescription DescribeQuery() => _engine.Describer.Describe(_photo, includeRegions: true);
}

/// <summary>Exact search over random unit vectors of the model's dimension, one and two threads.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class SearchBenchmarks
{
    private VectorIndex _index = null!;
    private float[] _query = [];

    [Params(10_000, 100_000, 1_000_000)]
    public int Rows { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int Dim = 1280;
        _index = new VectorIndex(Dim);
        var vectors = Fixtures.RandomUnitVectors(Rows, Dim, 7);
        for (int row = 0; row < Rows; row++)
        {
            string id = "o" + (row / 4);
            if (row % 4 == 0)
                _index.SetObject(new CulturalObject { ObjectId = id });
            _index.Add(id, "i" + row, 0, vectors.AsSpan(row * Dim, Dim));
        }
        _query = Fixtures.RandomUnitVectors(1, Dim, 8);
        _index.MaxParallelism = Threads;
    }

    [Benchmark]
    public IReadOnlyList<VectorHit> Top10() => _index.Search(_query, 10, SearchFilter.None);
}

/// <summary>
/// The in-process Match end to end (decode, describe, search, verify, judge) of a 12 MP and a 1 MP
/// photo against the dev catalogue; the product pipeline beside the previous one (all photo windows
/// from the 640 px map, no close-up check of the region that found a candidate), so the cost of those
/// steps is read off one run.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class MatchBenchmarks
{
    private ArtMatchEngine _engine = null!;
    private string _store = "";
    private byte[] _photo = [];

    [Params("jpeg-12mp", "jpeg-1mp")]
    public string Input { get; set; } = "";

    /// <summary>
    /// "unwhitened": the product with the catalogue's whitening suspended (ranking by plain cosine);
    /// "no-turns": the product without the quarter-turned photos; "no-keypoints": the product without
    /// the keypoint search (no photo keypoints, no keypoint bonus).
    /// </summary>
    [Params("product", "unwhitened", "no-turns", "no-keypoints")]
    public string Pipeline { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = Directory.CreateTempSubdirectory("artmatch-bench-").FullName;
        var config = new ArtMatchConfig();
        if (Pipeline == "no-turns")
            config = config with { Describer = config.Describer with { QueryQuarterTurns = false } };
        if (Pipeline == "no-keypoints")
            config = config with { Describer = config.Describer with { QueryKeypoints = null }, Match = config.Match with { KeypointBonus = 0 } };
        _engine = ArtMatchEngine.Create(config).OpenStore(_store);
        _engine.Importer!.Import(CatalogFile.Read(Path.Combine(Fixtures.DevSet, "catalog.csv")));
        if (Pipeline == "unwhitened")
            ((ArtMatch.Storage.SqliteCatalogStore)_engine.RequireStore()).SuspendWhitening();
        _photo = Input == "jpeg-12mp" ? Fixtures.Jpeg12Mp : Fixtures.Jpeg1Mp;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    [Benchmark]
    public MatchResult Match() => _engine.RequireMatcher().Match(_photo, new MatchRequest());
}

/// <summary>
/// The keypoint stage alone: detecting a photo's keypoints (640 px decode of the 1 MP photo, and a
/// 72 px close-up cut from a catalogue picture) and searching them in the dev catalogue's keypoints
/// (503 pictures, up to 6000 keypoints each).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class KeypointBenchmarks
{
    private readonly KeypointIndex _index = new(new KeypointMatchSettings());
    private GreyImage _photo = null!;
    private KeypointSet _keypoints = null!;

    [Params("photo-640px", "closeup-72px")]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var decoder = new ArtMatch.Imaging.VipsImageDecoder();
        var catalogue = new KeypointSettings { MaxKeypoints = 6000 };
        Parallel.ForEach(CatalogFile.Read(Path.Combine(Fixtures.DevSet, "catalog.csv")), entry =>
        {
            foreach (var image in entry.ImagePaths)
            {
                var grey = GreyImage.FromRgb(decoder.Decode(File.ReadAllBytes(image), DecodeOptions.LongSide(640, allowUpscale: false)));
                _index.Add(entry.Record!.ObjectId, image, KeypointDetector.Detect(grey, catalogue));
            }
        });
        var source = GreyImage.FromRgb(decoder.Decode(Input == "photo-640px" ? Fixtures.Jpeg1Mp : File.ReadAllBytes(Fixtures.SourcePhoto),
            DecodeOptions.LongSide(640, allowUpscale: false)));
        _photo = Input == "photo-640px" ? source : source.Crop(new PixelRect(source.Width / 2, source.Height / 2, 72, 72));
        _keypoints = KeypointDetector.Detect(_photo, new KeypointSettings());
        _index.Search(_keypoints, 5);
    }

    [Benchmark]
    public KeypointSet Detect() => KeypointDetector.Detect(_photo, new KeypointSettings());

    [Benchmark]
    public IReadOnlyList<KeypointCandidate> Search() => _index.Search(_keypoints, 5);
}
