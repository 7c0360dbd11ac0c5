using ArtMatch.Core.Catalog;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>Which of the photo's views found a catalogue object.</summary>
public enum HitOrigin
{
    /// <summary>The whole photo, upright.</summary>
    WholePhoto = 0,

    /// <summary>A crop of the photo (<see cref="HitSource.Index"/>: the region's index in <c>IQueryPhoto.Regions</c>).</summary>
    Region = 1,

    /// <summary>The whole photo turned (<see cref="HitSource.Index"/>: clockwise quarter turns, 1 to 3).</summary>
    Turn = 2,

    /// <summary>Only the keypoint search found it; its vector scores are the whole photo's.</summary>
    Keypoints = 3,

    /// <summary>Only the SIFT search found it; its vector scores are the whole photo's.</summary>
    Sift = 4,
}

/// <summary>Where a hit came from: the view of the photo whose vector found it (and which view verification should check).</summary>
public readonly record struct HitSource(HitOrigin Origin, int Index = 0)
{
    public static HitSource WholePhoto => new(HitOrigin.WholePhoto);

    public static HitSource Keypoints => new(HitOrigin.Keypoints);

    public static HitSource Sift => new(HitOrigin.Sift);

    public static HitSource Region(int index) => new(HitOrigin.Region, index);

    public static HitSource Turn(int quarterTurns) => new(HitOrigin.Turn, quarterTurns);

    public override string ToString() => Origin switch
    {
        HitOrigin.Region => $"region {Index}",
        HitOrigin.Turn => $"turn {Index * 90}",
        HitOrigin.Keypoints => "keypoints",
        HitOrigin.Sift => "sift",
        _ => "whole",
    };
}

/// <summary>
/// One object's evidence after fusion: its best-ranked hit, the view that found it, and its best
/// plain cosine over every view searched (with whitening, another view may give it).
/// </summary>
public sealed record FusedHit(VectorHit Hit, HitSource Source, float Plain);

/// <summary>
/// Fuses the hit lists of every view searched into one entry per object: the best rank score wins,
/// on a tie the view first in <see cref="HitSource"/> order (whole, regions by index, turns); the
/// plain score is the best seen. The result does not depend on the order the views were added in,
/// so a cascade that searched the views in several steps ends where a full match does. Objects only
/// the keypoint search found join the leaders when no view found them.
/// </summary>
public sealed class CandidatePool(IReadOnlySet<string>? excluded = null)
{
    private readonly Dictionary<string, FusedHit> _byObject = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FusedHit> _keypointFinds = new(StringComparer.Ordinal);

    public int Count => _byObject.Count;

    public bool Contains(string objectId) => _byObject.ContainsKey(objectId);

    public FusedHit? this[string objectId] => _byObject.GetValueOrDefault(objectId);

    /// <summary>Merges one view's hits: an object's hit is replaced by a better-ranked one; its plain score is the best seen.</summary>
    public void Add(IReadOnlyList<VectorHit> hits, HitSource source)
    {
        foreach (var hit in hits)
        {
            if (excluded?.Contains(hit.ObjectId) == true)
                continue;
            if (!_byObject.TryGetValue(hit.ObjectId, out var best))
                _byObject[hit.ObjectId] = new FusedHit(hit, source, hit.Score);
            else if (hit.RankScore > best.Hit.RankScore || (hit.RankScore == best.Hit.RankScore && Precedes(source, best.Source)))
                _byObject[hit.ObjectId] = new FusedHit(hit, source, Math.Max(best.Plain, hit.Score));
            else if (hit.Score > best.Plain)
                _byObject[hit.ObjectId] = best with { Plain = hit.Score };
        }
    }

    /// <summary>An object the keypoint search found, with its vector scores against the whole photo; it counts only while no view found it.</summary>
    public void AddKeypointFind(VectorHit hit) => AddLocalFind(hit, HitSource.Keypoints);

    /// <summary>An object the SIFT search found, with its vector scores against the whole photo; it counts only while no view (nor the keypoints) found it.</summary>
    public void AddSiftFind(VectorHit hit) => AddLocalFind(hit, HitSource.Sift);

    /// <summary>A local-feature find; the first in <see cref="HitSource"/> order (keypoints before SIFT) keeps the object, whatever order they came in.</summary>
    private void AddLocalFind(VectorHit hit, HitSource source)
    {
        if (excluded?.Contains(hit.ObjectId) == true)
            return;
        if (!_keypointFinds.TryGetValue(hit.ObjectId, out var found) || Precedes(source, found.Source))
            _keypointFinds[hit.ObjectId] = new FusedHit(hit, source, hit.Score);
    }

    /// <summary>The <paramref name="count"/> best by rank score plus <paramref name="bonus"/>, ties by object id.</summary>
    public List<FusedHit> Leaders(int count, Func<string, float> bonus) =>
        _byObject.Values.Concat(_keypointFinds.Values.Where(h => !_byObject.ContainsKey(h.Hit.ObjectId)))
            .OrderByDescending(h => h.Hit.RankScore + bonus(h.Hit.ObjectId)).ThenBy(h => h.Hit.ObjectId, StringComparer.Ordinal)
            .Take(count).ToList();

    /// <summary>The fixed order of views: whole photo, regions by index, turns by quarter turns.</summary>
    private static bool Precedes(HitSource a, HitSource b) => a.Origin != b.Origin ? a.Origin < b.Origin : a.Index < b.Index;
}
