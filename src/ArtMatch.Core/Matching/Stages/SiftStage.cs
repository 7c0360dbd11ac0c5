using ArtMatch.Core.Catalog;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>
/// Local features over the whole catalogue: the photo's SIFT features, the catalogue pictures whose
/// visual words match best (<see cref="SiftSearch"/>), each verified on one homography. SIFT survives a
/// change of camera, light and angle that the CNN's vectors and the pixel-level keypoints do not; it
/// counts where the CNN check falls short (<see cref="GeometricScore"/>), and an object only it found
/// joins with its vector scores.
/// </summary>
public sealed class SiftStage(SiftSearch sift, ICatalogStore store, int floor) : IMatchStage
{
    public string Name => "sift";

    public void Run(MatchContext context)
    {
        var features = context.SiftFeatures ??= sift.Describe(context.Photo.Image, forCatalogue: false);
        var request = context.Request;
        foreach (var candidate in sift.Search(features, request.Filter, request.ExcludeObjectIds))
        {
            if (candidate.Inliers > floor)
                context.SiftHits[candidate.ObjectId] = candidate;
        }
        var unseen = context.SiftHits.Keys.Where(id => !context.Pool.Contains(id)).ToList();
        if (unseen.Count == 0)
            return;
        foreach (var hit in store.ScoreObjects(context.Photo.Global, unseen))
            context.Pool.AddSiftFind(hit);
    }
}
