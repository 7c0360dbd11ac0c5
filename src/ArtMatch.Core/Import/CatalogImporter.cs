using System.Collections.Concurrent;
using System.Diagnostics;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Import;

public sealed record ImportFailure(int Line, string? ObjectId, string Message);

public sealed record ImportProgress(int EntriesDone, int EntriesTotal, int ImagesEmbedded);

public sealed record ImportSummary
{
    public int ObjectsCreated { get; init; }
    public int ObjectsUpdated { get; init; }
    public int ObjectsUnchanged { get; init; }
    public int ImagesAdded { get; init; }
    public int ImagesAlreadyPresent { get; init; }
    public IReadOnlyList<ImportFailure> Failures { get; init; } = [];
    public double Seconds { get; init; }

    /// <summary>The store learned its whitening afresh after this import (<see cref="ICatalogStore.RefreshWhitening"/>).</summary>
    public bool WhiteningLearned { get; init; }

    /// <summary>Images stored before keypoints existed that got them during this import.</summary>
    public int KeypointsBackfilled { get; init; }

    /// <summary>Stored images given what verification reads of them (<see cref="CatalogImporter.BackfillCatalogueLocal"/>).</summary>
    public int CatalogueLocalBackfilled { get; init; }

    /// <summary>Stored images that got SIFT features during this import (stored before they existed).</summary>
    public int SiftBackfilled { get; init; }

    /// <summary>The catalogue's SIFT vocabulary was learned afresh after this import.</summary>
    public bool SiftVocabularyLearned { get; init; }

    /// <summary>Newly embedded images per second of wall time.</summary>
    public double ImagesPerSecond => Seconds > 0 ? ImagesAdded / Seconds : 0;
}

/// <summary>
/// Imports catalogue entries: reads and embeds each object's images in parallel, then writes the
/// object in one store call, so an object is stored whole or not at all. An entry whose file is
/// bad or whose image cannot be read is reported and skipped. Images already stored for the object
/// (same sha256) are not embedded again, which makes a re-import cheap and a no-op.
/// </summary>
public sealed class CatalogImporter(ImageDescriber describer, ICatalogStore store, IImageDecoder decoder)
{
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The SIFT describer whose features each image gets at import (the SIFT search's, or the one the
    /// "possible" check reads when the search is off); null: none.
    /// </summary>
    public SiftSearch? Sift { get; init; }

    /// <summary>
    /// Learn the SIFT vocabulary after an import: only the SIFT search reads visual words; the "possible"
    /// check (<see cref="Matching.SiftEvidence"/>) reads the stored features alone.
    /// </summary>
    public bool LearnSiftVocabulary { get; init; } = true;

    public ImportSummary Import(IReadOnlyList<CatalogEntry> entries, IProgress<ImportProgress>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var failures = new ConcurrentBag<ImportFailure>();
        int created = 0, updated = 0, unchanged = 0, added = 0, present = 0, done = 0, embedded = 0;
        // Index work a growing catalogue would repeat (the inverted file) is done once, after the whitening below.
        var bulk = store.BeginBulkLoad();
        bool whitened;
        try
        {
            Parallel.ForEach(entries, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation }, entry =>
            {
                try
                {
                    if (!entry.IsValid)
                    {
                        failures.Add(new ImportFailure(entry.Line, entry.Record?.ObjectId, entry.Error ?? "invalid entry"));
                        return;
                    }
                    var outcome = ImportOne(entry, ref embedded);
                    switch (outcome.Kind)
                    {
                        case OutcomeKind.Created: Interlocked.Increment(ref created); break;
                        case OutcomeKind.Updated: Interlocked.Increment(ref updated); break;
                        case OutcomeKind.Unchanged: Interlocked.Increment(ref unchanged); break;
                    }
                    Interlocked.Add(ref added, outcome.Added);
                    Interlocked.Add(ref present, outcome.Present);
                }
                catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
                {
                    failures.Add(new ImportFailure(entry.Line, entry.Record?.ObjectId, e.Message));
                }
                finally
                {
                    progress?.Report(new ImportProgress(Interlocked.Increment(ref done), entries.Count, Volatile.Read(ref embedded)));
                }
            });
            // A bulk change is when the catalogue's statistics move: learn the whitening again if they did.
            whitened = store.RefreshWhitening();
        }
        finally
        {
            bulk.Dispose();
        }
        int backfilled = BackfillKeypoints(cancellation);
        int localBackfilled = BackfillCatalogueLocal(cancellation);
        var (siftBackfilled, vocabulary) = BackfillSift(cancellation);

        return new ImportSummary
        {
            WhiteningLearned = whitened,
            KeypointsBackfilled = backfilled,
            CatalogueLocalBackfilled = localBackfilled,
            SiftBackfilled = siftBackfilled,
            SiftVocabularyLearned = vocabulary,
            ObjectsCreated = created,
            ObjectsUpdated = updated,
            ObjectsUnchanged = unchanged,
            ImagesAdded = added,
            ImagesAlreadyPresent = present,
            Failures = failures.OrderBy(f => f.Line).ToList(),
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    private enum OutcomeKind { Created, Updated, Unchanged }

    private readonly record struct Outcome(OutcomeKind Kind, int Added, int Present);

    private Outcome ImportOne(CatalogEntry entry, ref int embedded)
    {
        var record = entry.Record!;
        if (entry.ImagePaths.Count == 0)
            throw new InvalidDataException($"object {record.ObjectId} has no image");

        var images = new List<NewImage>();
        int present = 0;
        foreach (var path in entry.ImagePaths.Distinct())
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The path as the catalogue wrote it, and the reason without the resolved path in it.
                string reason = e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e is UnauthorizedAccessException ? "permission denied" : e.GetType().Name;
                throw new IOException($"image {entry.Written(path)}: {reason}", e);
            }
            var imageId = Hashing.Sha256Hex(bytes);
            if (store.ContainsImage(record.ObjectId, imageId) || images.Any(i => i.ImageId == imageId))
            {
                present++;
                continue;
            }
            try
            {
                images.Add(Describe(bytes, Path.GetFileName(path)));
            }
            catch (ImageDecodeException e)
            {
                throw new ImageDecodeException(e.Kind, $"image {entry.Written(path)}: {e.Message}", e);
            }
            Interlocked.Increment(ref embedded);
        }

        var existing = store.Get(record.ObjectId);
        if (existing is not null && images.Count == 0 && SameRecord(existing, record))
            return new Outcome(OutcomeKind.Unchanged, 0, present);
        var result = store.Upsert(record, images);
        return new Outcome(result.Created ? OutcomeKind.Created : OutcomeKind.Updated, result.ImagesAdded, present + result.ImagesAlreadyPresent);
    }

    /// <summary>
    /// Gives keypoints to the stored images that have none (a store written before keypoints existed),
    /// from their stored bytes. Returns how many images got them; 0 when the describer makes none.
    /// </summary>
    public int BackfillKeypoints(CancellationToken cancellation = default)
    {
        if (describer.Settings.CatalogueKeypoints is null)
            return 0;
        int filled = 0;
        Parallel.ForEach(store.ImagesWithoutKeypoints(), new ParallelOptions { CancellationToken = cancellation }, imageId =>
        {
            if (store.GetImageBytes(imageId) is not { } bytes)
                return;
            try
            {
                if (describer.KeypointsOf(describer.Decode(bytes), forCatalogue: true) is { } keypoints && store.SetKeypoints(imageId, keypoints))
                    Interlocked.Increment(ref filled);
            }
            catch (ImageDecodeException)
            {
                // Stored bytes that no longer decode (a stricter decoder than the one that stored them)
                // keep their vectors; they just get no keypoints.
            }
        });
        return filled;
    }

    /// <summary>
    /// Gives stored images without SIFT features (stored before they were kept, or while neither the SIFT
    /// search nor the "possible" check was on) their features from the stored bytes, one image per
    /// transaction (a kill leaves whole rows; the next run does the rest), then learns the vocabulary when
    /// the search reads one. Returns how many images got features and whether a vocabulary was learned.
    /// </summary>
    public (int Backfilled, bool VocabularyLearned) BackfillSift(CancellationToken cancellation = default)
    {
        if (Sift is not { } sift)
            return (0, false);
        int filled = sift.Backfill(bytes => describer.Decode(bytes), cancellation);
        return (filled, LearnSiftVocabulary && sift.RefreshVocabulary());
    }

    /// <summary>
    /// Gives the stored images that have none (stored before they were kept, or under another model) what
    /// verification reads of them (<see cref="CatalogueLocal"/>), from their stored bytes, one image per
    /// transaction: a run cut short (kill -9) leaves whole rows and the next run does the rest. Returns
    /// how many images got them; 0 when the describer makes no local features. Rows of an older, larger
    /// encoding are re-encoded compact first (<see cref="ICatalogStore.RecodeCatalogueLocal"/>; no model run).
    /// </summary>
    public int BackfillCatalogueLocal(CancellationToken cancellation = default)
    {
        store.RecodeCatalogueLocal(cancellation);
        if (describer.Settings.Baseline || describer.Settings.LocalFeatureScale <= 0)
            return 0;
        var recipe = CatalogueLocalRecipe.Of(describer.Settings);
        int filled = 0;
        Parallel.ForEach(store.ImagesWithoutCatalogueLocal(), new ParallelOptions { CancellationToken = cancellation }, imageId =>
        {
            if (store.GetImageBytes(imageId) is not { } bytes)
                return;
            try
            {
                var picture = describer.Decode(bytes);
                if (describer.LocalFeaturesOf(picture) is { } local && store.SetCatalogueLocal(imageId, CatalogueLocal.Of(picture, local, recipe)))
                    Interlocked.Increment(ref filled);
            }
            catch (ImageDecodeException)
            {
                // As the keypoints: bytes that no longer decode are verified by nothing and found by their vectors only.
            }
        });
        return filled;
    }

    /// <summary>
    /// Decodes and describes one catalogue picture with every vector the store keeps for it;
    /// <paramref name="cancellation"/> stops the decode where it is (a server call's deadline).
    /// </summary>
    public NewImage Describe(byte[] encoded, string? label, CancellationToken cancellation = default)
    {
        var info = decoder.Probe(encoded);
        var picture = describer.Decode(encoded, cancellation);
        cancellation.ThrowIfCancellationRequested();
        var description = describer.Describe(picture, includeRegions: true, forCatalogue: true);
        var sift = Sift?.Describe(picture, forCatalogue: true);
        return new NewImage(encoded, label, info.Width, info.Height, description.AllVectors())
        {
            Keypoints = description.Keypoints,
            Sift = sift,
            SiftWords = sift is null ? null : Sift!.WordsOf(sift),
            Local = description.Local is { } local ? CatalogueLocal.Of(picture, local, CatalogueLocalRecipe.Of(describer.Settings)) : null,
        };
    }

    private static bool SameRecord(CulturalObject a, CulturalObject b) =>
        a with { Extra = b.Extra } == b
        && a.Extra.Count == b.Extra.Count
        && a.Extra.All(kv => b.Extra.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
