using System.Collections.Concurrent;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Matching;

/// <summary>How a "possible" must be backed by SIFT agreement (<see cref="SiftEvidence"/>).</summary>
public sealed record SiftEvidenceSettings
{
    /// <summary>
    /// SIFT inliers (one homography, scales and rotations consistent: <see cref="SiftVerifier"/>) a
    /// candidate needs for a "possible" to stand; below on every checked candidate, the photo is
    /// answered "no match". 0 turns the check off. From <c>artmatch calibrate --sift-evidence</c>: the
    /// inliers only <c>--evidence-rate</c> of near-miss impostors reach (synthetic views of catalogue
    /// pictures against the candidates Match gives once their own object is left out), never query answers:
    /// 4 on the development catalogue (<c>--samples 200 --seed 1</c>). Off by default: on the dev photos it took
    /// innocent photos answered "possible" from 0.49 to 0.08 but missed objects 0.012 -> 0.058 (real photos of
    /// another view have no SIFT agreement; benchmarks/RESULTS.md, issue 18).
    /// </summary>
    public int Floor { get; init; }

    /// <summary>Candidates checked, best first: a photo whose object Match ranked second or third still has it backed (and put first).</summary>
    public int Candidates { get; init; } = 5;

    /// <summary>
    /// Features of the photo the check matches (the strongest), 0: the SIFT settings' query features. The
    /// matching work grows with it; features the SIFT stage already made are reused as they are.
    /// </summary>
    public int PhotoFeatures { get; init; }

    /// <summary>
    /// The geometric model the inliers agree on (<see cref="SiftGeometry"/>): a homography by default; the floor
    /// must be calibrated for the model (<c>calibrate --sift-evidence</c> with the same config).
    /// </summary>
    public SiftGeometry Geometry { get; init; } = SiftGeometry.Homography;

    /// <summary>Also check photos Match answered "no match" on the score, and answer "possible" when SIFT backs a candidate.</summary>
    public bool Rescue { get; init; }

    /// <summary>
    /// Answer "no match" when no checked candidate reaches the floor. False: the check only puts a backed
    /// candidate first (a ranking lever: the verdicts on the score stand).
    /// </summary>
    public bool Demote { get; init; } = true;
}

/// <summary>
/// A "possible" that SIFT must back. Match's score puts a photo at "possible" when it resembles a
/// catalogued object about as much as the catalogue's look-alikes resemble each other, so about half of
/// the innocent photos (another coin of the series, another monument) raise a soft alarm, while a real
/// photo of the object from another place in other light often scores no higher than that. SIFT
/// features matched picture to picture and checked for one homography tell the two apart: a look-alike
/// shares the layout, not the pixel-level pattern, and a change of camera does not break them. The
/// photo's best candidates are checked (its features once, reused from the SIFT stage when it ran);
/// the candidate with the most inliers at or above <see cref="SiftEvidenceSettings.Floor"/> is answered
/// "possible" and put first; with none, the photo is answered "no match". A "match" is never checked
/// (and costs nothing more); with <see cref="SiftEvidenceSettings.Rescue"/> a "no match" is checked too.
/// Thread-safe.
/// </summary>
public sealed class SiftEvidence(ILocalFeatureEngine engine, ICatalogStore store, SiftSettings sift, SiftEvidenceSettings settings, Func<byte[], RgbImage> decode)
{
    private readonly ConcurrentDictionary<string, Lazy<FeatureSet?>> _cache = new();
    private readonly SiftSearch _describer = new(engine, store, settings.PhotoFeatures > 0 ? sift with { QueryFeatures = settings.PhotoFeatures } : sift);

    public SiftEvidenceSettings Settings => settings;

    /// <summary>Catalogue feature sets kept in memory (about 140 KB each at 1000 features).</summary>
    public int CacheCapacity { get; init; } = 1024;

    /// <summary>Whether a photo whose best candidate has this verdict on the score is checked.</summary>
    public bool Checks(Verdict verdict) => verdict == Verdict.Possible || (verdict == Verdict.NoMatch && settings.Rescue);

    /// <summary>SIFT features of a photo, as the SIFT stage makes them.</summary>
    public FeatureSet Describe(RgbImage photo) => _describer.Describe(photo, forCatalogue: false);

    /// <summary>
    /// The candidates with the evidence: each checked one gets its inliers, the best-backed goes first
    /// as "possible", or the first is answered "no match" when none reaches the floor.
    /// </summary>
    public List<Candidate> Judge(FeatureSet photo, IReadOnlyList<Candidate> ranked, CancellationToken cancellation = default)
    {
        var result = ranked.ToList();
        if (result.Count == 0 || !Checks(result[0].Verdict))
            return result;
        var before = result[0].Verdict;
        int backed = -1, most = -1;
        for (int i = 0; i < Math.Min(settings.Candidates, result.Count); i++)
        {
            cancellation.ThrowIfCancellationRequested();
            int inliers = Inliers(photo, result[i].ObjectId);
            result[i] = result[i] with { EvidenceInliers = inliers };
            if (inliers >= settings.Floor && inliers > most)
                (backed, most) = (i, inliers);
        }
        if (backed < 0 && !settings.Demote)
            return result;
        if (backed < 0)
        {
            result[0] = result[0] with { Verdict = Verdict.NoMatch, VerdictBeforeEvidence = before };
            return result;
        }
        var chosen = result[backed] with { Verdict = settings.Demote ? Verdict.Possible : before, VerdictBeforeEvidence = before };
        result.RemoveAt(backed);
        result.Insert(0, chosen);
        return result;
    }

    /// <summary>The most inliers over the object's pictures (0 when it has none readable).</summary>
    public int Inliers(FeatureSet photo, string objectId)
    {
        int best = 0;
        foreach (var image in store.GetImages(objectId))
        {
            if (CatalogueFeatures(image.ImageId) is { Count: > 0 } features)
                best = Math.Max(best, SiftVerifier.Verify(engine, photo, features, sift, settings.Geometry).Inliers);
        }
        return best;
    }

    /// <summary>
    /// The picture's features as stored at import (with the SIFT search or this check on), else, for a
    /// picture stored before and not yet backfilled, detected from its stored bytes once.
    /// </summary>
    private FeatureSet? CatalogueFeatures(string imageId)
    {
        if (_cache.Count > CacheCapacity)
            _cache.Clear();
        return _cache.GetOrAdd(imageId, id => new Lazy<FeatureSet?>(() =>
        {
            if (store.GetSiftFeatures(id) is { } stored)
                return stored;
            if (store.GetImageBytes(id) is not { } bytes)
                return null;
            try
            {
                return _describer.Describe(decode(bytes), forCatalogue: true);
            }
            catch (ImageDecodeException)
            {
                return null;
            }
        })).Value;
    }
}
