using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Sift;
using ArtMatch.Features;
using ArtMatch.Imaging;
using ArtMatch.Inference;
using ArtMatch.Qdrant;
using ArtMatch.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// The composition root shared by the CLI and the server: the real engines (libvips, ONNX Runtime,
/// SQLite) wired into the Core pipeline. One per process; thread-safe.
/// <para>
/// It also knows whether the catalogue is ready (<see cref="IsReady"/>): not while a store is being
/// opened or filled (<see cref="BeginLoading"/>), nor while it re-learns in the background (the
/// whitening, keypoints of old images); the server's health service reports it.
/// </para>
/// </summary>
public sealed class ArtMatchEngine : IDisposable
{
    private ArtMatchEngine(ArtMatchConfig config, VipsImageDecoder decoder, IFeatureExtractor extractor, ImageDescriber describer)
    {
        Config = config;
        Decoder = decoder;
        Extractor = extractor;
        Describer = describer;
    }

    public ArtMatchConfig Config { get; }
    public VipsImageDecoder Decoder { get; }
    public IFeatureExtractor Extractor { get; }
    public ImageDescriber Describer { get; }
    public ICatalogStore? Store { get; private set; }
    public Matcher? Matcher { get; private set; }

    /// <summary>1:1 verification over the same matcher and store (keeps described catalogue pictures).</summary>
    public Verifier? Verifier { get; private set; }
    public CatalogImporter? Importer { get; private set; }

    /// <summary>The SIFT search over the open store (null when the config turns it off).</summary>
    public SiftSearch? Sift { get; private set; }

    /// <summary>Where background failures are logged; the server sets its own.</summary>
    internal ILogger Log { get; set; } = NullLogger.Instance;

    /// <summary>Raised (on any thread) whenever <see cref="IsReady"/> may have changed.</summary>
    public event Action? ReadinessChanged;

    private int _loading;
    private int _relearning;

    /// <summary>A store is open, filled, and not re-learning: answers are as good as the catalogue allows.</summary>
    public bool IsReady => Store is not null && Volatile.Read(ref _loading) == 0 && Volatile.Read(ref _relearning) == 0;

    private bool Loaded => Volatile.Read(ref _loading) == 0;

    public ICatalogStore RequireStore() => Loaded && Store is { } store ? store : throw new CatalogueUnavailableException();

    public Matcher RequireMatcher() => Loaded && Matcher is { } matcher ? matcher : throw new CatalogueUnavailableException();

    public Verifier RequireVerifier() => Loaded && Verifier is { } verifier ? verifier : throw new CatalogueUnavailableException();

    public CatalogImporter RequireImporter() => Loaded && Importer is { } importer ? importer : throw new CatalogueUnavailableException();

    /// <summary>
    /// Marks the catalogue as loading until disposed: opening a store and importing into it while a
    /// server already listens. Calls meanwhile get <see cref="CatalogueUnavailableException"/>.
    /// </summary>
    public IDisposable BeginLoading()
    {
        Interlocked.Increment(ref _loading);
        ReadinessChanged?.Invoke();
        return new LoadingScope(this);
    }

    private sealed class LoadingScope(ArtMatchEngine engine) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
                return;
            Interlocked.Decrement(ref engine._loading);
            engine.ReadinessChanged?.Invoke();
        }
    }

    /// <summary>Loads the model and the image decoder; <paramref name="baseline"/> selects the plain recipe.</summary>
    public static ArtMatchEngine Create(ArtMatchConfig config, bool baseline = false)
    {
        IFeatureExtractor extractor = OnnxFeatureExtractor.Open(RepoLocator.ResolveManifest(config.Model));
        if (config.Fuse is { } fuse)
        {
            try
            {
                extractor = new FusedFeatureExtractor(extractor, OnnxFeatureExtractor.Open(RepoLocator.ResolveManifest(fuse.Model)), fuse.Weight);
            }
            catch
            {
                extractor.Dispose();
                throw;
            }
        }
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
        var store = SqliteCatalogStore.Open(directory, Describer.VectorSpaceId, Describer.Dimension, openIndex, index.Embedded);
        return UseStore(store);
    }

    public ArtMatchEngine UseStore(ICatalogStore store)
    {
        Store?.Dispose();
        Store = store;
        var matchSettings = Describer.Settings.Baseline ? MatchSettings.Plain with { Thresholds = Config.Match.Thresholds } : Config.Match;
        // The plain recipe measured against has no local features.
        Sift = Config.Sift is { } sift && !Describer.Settings.Baseline ? new SiftSearch(new OpenCvFeatureEngine(), store, sift) : null;
        Matcher = new Matcher(Describer, store, matchSettings, Sift);
        Verifier = new Verifier(Matcher, store, Describer.Settings.Baseline ? null : new OpenCvFeatureEngine());
        if (matchSettings.Verification.Thresholds.Evidence is > 0 and var floor && !Describer.Settings.Baseline)
            Matcher.Evidence = new PossibleEvidence(Verifier, floor);
        bool evidence = matchSettings.SiftEvidence.Floor > 0 && !Describer.Settings.Baseline;
        if (evidence)
            Matcher.SiftEvidence = NewSiftEvidence(matchSettings.SiftEvidence);
        // The "possible" check reads stored SIFT features too: the import stores them when it is on, search or not.
        var siftFeatures = Sift ?? (evidence ? new SiftSearch(new OpenCvFeatureEngine(), store, new SiftSettings()) : null);
        Importer = new CatalogImporter(Describer, store, Decoder) { Sift = siftFeatures, LearnSiftVocabulary = Sift is not null };
        ReadinessChanged?.Invoke();
        return this;
    }

    /// <summary>
    /// The SIFT check of a "possible" on the open store (<see cref="SiftEvidence"/>), with the SIFT search's
    /// engine and settings (the defaults when the search is off: catalogue features are then detected once from the stored pictures).
    /// </summary>
    public SiftEvidence NewSiftEvidence(SiftEvidenceSettings settings) =>
        new(Sift?.Engine ?? new OpenCvFeatureEngine(), Store ?? throw new CatalogueUnavailableException(), Config.Sift ?? new SiftSettings(), settings, bytes => Describer.Decode(bytes));

    private int _whiteningRefresh;

    /// <summary>
    /// Gives keypoints, verification's local features and SIFT features (and the SIFT vocabulary) to stored images that have none (a
    /// store written before they existed), and re-encodes local features stored in an older encoding, in the background so that the server answers meanwhile
    /// (those images are found by their vectors only until done, and the catalogue is not ready).
    /// </summary>
    public Task BackfillKeypointsInBackground()
    {
        if (Importer is not { } importer || Store is not { } store)
            return Task.CompletedTask;
        bool keypoints = store.ImagesWithoutKeypoints().Count > 0 || store.ImagesWithoutCatalogueLocal().Count > 0 || store.CatalogueLocalToRecode() > 0;
        bool sift = importer.Sift is not null && (store.ImagesWithoutSiftFeatures().Count > 0 || (Sift is not null && store.SiftVocabulary is null));
        if (!keypoints && !sift)
            return Task.CompletedTask;
        return RelearnInBackground("adding keypoints, local features and SIFT features to stored images", () =>
        {
            importer.BackfillKeypoints();
            importer.BackfillCatalogueLocal();
            importer.BackfillSift();
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
        // The store decides whether to learn; the catalogue is reported as re-learning only when it
        // looks stale, so that a write that leaves the whitening as it is does not flicker the health.
        _ = RunInBackground("learning the catalogue's whitening", WhiteningLooksStale(store), () =>
        {
            try
            {
                store.RefreshWhitening(WhiteningStaleShare);
            }
            finally
            {
                Volatile.Write(ref _whiteningRefresh, 0);
            }
        });
    }

    private const double WhiteningStaleShare = 0.25;

    private static bool WhiteningLooksStale(ICatalogStore store)
    {
        int rows = store.VectorCount;
        return store.Whitening is { } current
            ? Math.Abs(rows - current.LearnedFrom) > WhiteningStaleShare * current.LearnedFrom
            : rows >= Whitening.MinVectors(store.Dimension);
    }

    private Task RelearnInBackground(string task, Action work) => RunInBackground(task, relearning: true, work);

    /// <summary>Runs <paramref name="work"/> off the caller's thread, the catalogue not ready meanwhile when <paramref name="relearning"/>.</summary>
    private Task RunInBackground(string task, bool relearning, Action work)
    {
        if (relearning)
        {
            Interlocked.Increment(ref _relearning);
            ReadinessChanged?.Invoke();
        }
        return Task.Run(() =>
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                // A background task must not take the server down; the search keeps its previous
                // state and nothing was half written (the store switches only after storing it).
                ServerLog.BackgroundTaskFailed(Log, task, e);
            }
            finally
            {
                if (relearning)
                {
                    Interlocked.Decrement(ref _relearning);
                    ReadinessChanged?.Invoke();
                }
            }
        });
    }

    public void Dispose()
    {
        Store?.Dispose();
        Extractor.Dispose();
    }
}
