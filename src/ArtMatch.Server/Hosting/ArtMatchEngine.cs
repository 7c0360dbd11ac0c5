using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Imaging;
using ArtMatch.Inference;
using ArtMatch.Qdrant;
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

    /// <summary>
    /// Opens (or creates) the store in <paramref name="directory"/> for this engine's vectors, with the
    /// vector index the config names (<see cref="ArtMatchConfig.Index"/>): the embedded one, or the
    /// model's Qdrant collection, which must hold this model's vectors (<see cref="VectorIndexException"/> otherwise).
    /// </summary>
    public ArtMatchEngine OpenStore(string directory)
    {
        Directory.CreateDirectory(directory);
        var index = Config.Index;
        Func<string, int, IVectorIndex>? openIndex = index.IsEmbedded ? null : (model, dimension) => QdrantVectorIndex.Open(index, model, dimension);
        var store = SqliteCatalogStore.Open(directory, Describer.VectorSpaceId, Describer.Dimension, openIndex);
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

    private int _whiteningRefresh;

    /// <summary>
    /// Gives keypoints to stored images that have none (a store written before they existed), in the
    /// background so that the server answers meanwhile (those images are found by their vectors only
    /// until done).
    /// </summary>
    public void BackfillKeypointsInBackground()
    {
        if (Importer is not { } importer)
            return;
        _ = Task.Run(() =>
        {
            try
            {
                importer.BackfillKeypoints();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"artmatch: adding keypoints to stored images failed: {e.Message}");
            }
        });
    }

    /// <summary>
    /// After writes through the API: learns the whitening again in the background if the catalogue has
    /// changed by a quarter since (a partner enrolling objects one by one never runs an import). One
    /// refresh at a time; searches go on meanwhile, writes wait for it.
    /// </summary>
    public void RefreshWhiteningInBackground()
    {
        if (Store is not { } store || Interlocked.Exchange(ref _whiteningRefresh, 1) == 1)
            return;
        _ = Task.Run(() =>
        {
            try
            {
                store.RefreshWhitening();
            }
            catch (Exception e)
            {
                // A background task must not take the server down; the search keeps its previous
                // ranking and nothing was half written (the store switches only after storing it).
                Console.Error.WriteLine($"artmatch: learning the catalogue's whitening failed: {e.Message}");
            }
            finally
            {
                Volatile.Write(ref _whiteningRefresh, 0);
            }
        });
    }

    public void Dispose()
    {
        Store?.Dispose();
        Extractor.Dispose();
    }
}
