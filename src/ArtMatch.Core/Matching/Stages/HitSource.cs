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
/// Fuses the hit lists of every view searched into one entry per object. The first list to reach an
/// object's best rank score keeps it (views are added in a fixed order: whole, regions, turns), so
/// results do not depend on which stages ran in which call.
/// </summary>
public sealed class CandidatePool(IReadOnlySet<string>? excluded = null)
{
    private readonly Dictionary<string, FusedHit> _byObject = new(StringComparer.Ordinal);

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
            else if (hit.RankScore > best.Hit.RankScore)
                _byObject[hit.ObjectId] = new FusedHit(hit, source, Math.Max(best.Plain, hit.Score));
            else if (hit.Score > best.Plain)
                _byObject[hit.ObjectId] = best with { Plain = hit.Score };
        }
    }

    /// <summary>An object only the keypoint search found, with its vector scores against the whole photo.</summary>
    public void AddKeypointFind(VectorHit hit) => _byObject[hit.ObjectId] = new FusedHit(hit, HitSource.Keypoints, hit.Score);

    /// <summary>An object only the SIFT search found, with its vector scores against the whole photo.</summary>
    public void AddSiftFind(VectorHit hit) => _byObject[hit.ObjectId] = new FusedHit(hit, HitSource.Sift, hit.Score);

    /// <summary>The <paramref name="count"/> best by rank score plus <paramref name="bonus"/>, ties by object id.</summary>
    public List<FusedHit> Leaders(int count, Func<string, float> bonus) =>
        _byObject.Values.OrderByDescending(h => h.Hit.RankScore + bonus(h.Hit.ObjectId)).ThenBy(h => h.Hit.ObjectId, StringComparer.Ordinal)
            .Take(count).ToList();
}
