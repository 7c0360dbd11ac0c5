using ArtMatch.Core.Catalog;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>Describes the whole photo: its global vector and its local features (one model run at the global size).</summary>
public sealed class DescribeStage : IMatchStage
{
    public string Name => "describe";

    public void Run(MatchContext context)
    {
        _ = context.Photo.Global;
        _ = context.Photo.Local;
    }
}

/// <summary>
/// Searches the catalogue with the whole photo's vector. It is compared with every catalogue vector
/// (whole pictures and their regions: a detail or partial view).
/// </summary>
public sealed class SearchStage(ICatalogStore store, int shortlist) : IMatchStage
{
    public string Name => "search";

    public void Run(MatchContext context) =>
        context.Pool.Add(store.SearchMany([context.Photo.Global], context.Fetch(shortlist), context.Request.Filter)[0], HitSource.WholePhoto);
}

/// <summary>
/// Searches with the photo's regions (an object small in a scene), only against whole catalogue
/// pictures: region-to-region pairs would mostly add chance look-alikes.
/// </summary>
public sealed class RegionsStage(ICatalogStore store, int shortlist) : ISpeculativeStage
{
    public string Name => "regions";

    public void Run(MatchContext context)
    {
        var found = context.Prepared<IReadOnlyList<IReadOnlyList<VectorHit>>>(this);
        for (int i = 0; i < found.Count; i++)
            context.Pool.Add(found[i], HitSource.Region(i));
    }

    /// <summary>The photo's regions (a model run at the regions' size, pooled) and their search; nothing when the photo has none.</summary>
    public object Prepare(MatchContext context, CancellationToken stop)
    {
        stop.ThrowIfCancellationRequested();
        var regions = context.Photo.RegionsUnlessCancelled(stop);
        if (regions.Count == 0)
            return Array.Empty<IReadOnlyList<VectorHit>>();
        stop.ThrowIfCancellationRequested();
        return store.SearchMany(regions, context.Fetch(shortlist), context.Request.Filter with { WholeImagesOnly = true });
    }
}

/// <summary>Searches with the photo turned by quarter turns (taken sideways, the orientation tag lost), against every catalogue vector.</summary>
public sealed class TurnsStage(ICatalogStore store, int shortlist) : ISpeculativeStage
{
    public string Name => "turns";

    public void Run(MatchContext context)
    {
        foreach (var (quarterTurns, hits) in context.Prepared<IReadOnlyList<(int QuarterTurns, IReadOnlyList<VectorHit> Hits)>>(this))
            context.Pool.Add(hits, HitSource.Turn(quarterTurns));
    }

    /// <summary>The photo turned (model runs) and the turned views' search; nothing when turns are off.</summary>
    public object Prepare(MatchContext context, CancellationToken stop)
    {
        stop.ThrowIfCancellationRequested();
        var turns = context.Photo.TurnsUnlessCancelled(stop);
        if (turns.Count == 0)
            return Array.Empty<(int, IReadOnlyList<VectorHit>)>();
        stop.ThrowIfCancellationRequested();
        var found = store.SearchMany(turns.Select(t => t.Global).ToList(), context.Fetch(shortlist), context.Request.Filter);
        return turns.Select((turn, i) => (turn.QuarterTurns, found[i])).ToList();
    }
}

/// <summary>
/// Pixel-level evidence: catalogue pictures whose keypoints line up with the photo's. It finds what
/// the CNN's 32-pixel cells cannot see (a close-up of a detail) and counts where the CNN check falls
/// short (<see cref="GeometricScore"/>); an object only it found joins with its vector scores.
/// </summary>
public sealed class KeypointsStage(ICatalogStore store, KeypointsStage.Options options) : ISpeculativeStage
{
    /// <summary>Off when <paramref name="Bonus"/> is 0; catalogue pictures with more than <paramref name="Floor"/> inliers, at most <paramref name="Top"/>.</summary>
    public sealed record Options(float Bonus, int Floor, int Top)
    {
        public static Options From(MatchSettings settings) => new(settings.KeypointBonus, settings.KeypointFloor, settings.VerifyTop);
    }

    public string Name => "keypoints";

    public void Run(MatchContext context)
    {
        if (options.Bonus <= 0)
            return;
        foreach (var found in context.Prepared<IReadOnlyList<KeypointCandidate>>(this))
            context.KeypointHits.TryAdd(found.ObjectId, found);
        var unseen = context.KeypointHits.Keys.Where(id => !context.Pool.Contains(id)).ToList();
        if (unseen.Count == 0)
            return;
        foreach (var hit in store.ScoreObjects(context.Photo.Global, unseen))
            context.Pool.AddKeypointFind(hit);
    }

    /// <summary>
    /// The photo's keypoints and the catalogue pictures they line up with (the request's filter and
    /// exclusions applied; not the candidates found so far); nothing when keypoints are off.
    /// </summary>
    public object Prepare(MatchContext context, CancellationToken stop)
    {
        stop.ThrowIfCancellationRequested();
        if (options.Bonus <= 0 || context.Photo.KeypointsUnlessCancelled(stop) is not { Count: > 0 } keypoints)
            return Array.Empty<KeypointCandidate>();
        stop.ThrowIfCancellationRequested();
        var request = context.Request;
        return store.SearchKeypoints(keypoints, options.Floor + 1, options.Top, request.Filter, request.ExcludeObjectIds, stop);
    }
}
