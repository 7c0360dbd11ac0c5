using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Imaging;
using ArtMatch.Inference;
using ArtMatch.Storage;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// The composition root shared by the CLI and the server: the real engines (libvips, ONNX Runtime,
/// SQLite) wired into the Core pipeline. One per process; thread-safe.
/// </summary>
public sealed class ArtMatchEngine : IDisposable
{
    private ArtMatchEngine(ArtMatchConfig config, VipsImageDecoder decoder, OnnxFeatureExtractor extractor, ImageDescriber describer)
    {
        Config = config;
        Decoder = decoder;
        Extractor = extractor;
        Describer = describer;
    }

    public ArtMatchConfig Config { get; }
    public VipsImageDecoder Decoder { get; }
    public OnnxFeatureExtractor Extractor { get; }
    public ImageDescriber Describer { get; }
    public ICatalogStore? Store { get; private set; }
    public Matcher? Matcher { get; private set; }
    public CatalogImporter? Importer { get; private set; }

    public ICatalogStore RequireStore() => Store ?? throw new InvalidOperationException("No catalogue store is open.");

    public Matcher RequireMatcher() => Matcher ?? throw new InvalidOperationException("No catalogue store is open.");

    /// <summary>Loads the model and the image decoder; <paramref name="baseline"/> selects the plain recipe.</summary>
    public static ArtMatchEngine Create(ArtMatchConfig config, bool baseline = false)
    {
        var extractor = OnnxFeatureExtractor.Open(RepoLocator.ResolveManifest(config.Model));
        var decoder = new VipsImageDecoder(new VipsDecoderOptions());
        var settings = baseline ? DescriberSettings.Plain : config.Describer;
        return new ArtMatchEngine(config, decoder, extractor, new ImageDescriber(decoder, extractor, settings));
    }

    /// <summary>Opens (or creates) the embedded store in <paramref name="directory"/> for this engine's vectors.</summary>
    public ArtMatchEngine OpenStore(string directory)
    {
        Directory.CreateDirectory(directory);
        var store = SqliteCatalogStore.Open(directory, Describer.VectorSpaceId, Describer.Dimension);
        return UseStore(store);
    }

    public ArtMatchEngine UseStore(ICatalogStore store)
    {
        Store?.Dispose();
        Store = store;
        var matchSettings = Describer.Settings.Baseline ? MatchSettings.Plain with { Thresholds = Config.Match.Thresholds } : Config.Match;
        Matcher = new Matcher(Describer, store, matchSettings);
        Importer = new CatalogImporter(Describer, store, Decoder);
        return this;
    }

    public void Dispose()
    {
        Store?.Dispose();
        Extractor.Dispose();
    }
}
