using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Matching.Stages;

/// <summary>
/// Ranks the fused candidates and re-checks the leaders geometrically against the catalogue picture
/// that matched: the whole photo's local features, and the view that found the candidate when that
/// was a region (closer up) or a turn. Keypoints that lined up more parts than the CNN cells did
/// give the check the colour stage reads.
/// </summary>
public sealed class VerifyStage(ICataloguePictures pictures, VerifyStage.Options options, GeometricScore geometry) : IMatchStage
{
    /// <summary>The <paramref name="Top"/> leaders are checked (0: none), local features agreeing at <paramref name="MinSimilarity"/> or more; <paramref name="CheckRegion"/>: also the region that found a candidate.</summary>
    public sealed record Options(int Top, float MinSimilarity, bool CheckRegion)
    {
        public static Options From(MatchSettings settings) => new(settings.VerifyTop, settings.LocalMinSimilarity, settings.VerifyQueryRegion);
    }

    public string Name => "verify";

    public void Run(MatchContext context)
    {
        // Before verification the CNN agreement is unknown: the local features' full share orders the shortlist.
        var keypoints = context.KeypointHits;
        var ranked = context.Pool.Leaders(Math.Max(context.Request.TopK, options.Top),
            id => geometry.Bonus(0, keypoints.TryGetValue(id, out var found) ? found.Inliers : 0, context.SiftInliers(id)));
        context.Cancellation.ThrowIfCancellationRequested();
        var leaders = new List<Leader>(ranked.Count);
        for (int i = 0; i < ranked.Count; i++)
        {
            var leader = new Leader(ranked[i]);
            if (i < options.Top && context.Photo.Local is not null && pictures.Get(leader.Fused.Hit.ImageId) is { } picture)
                Check(context, leader, picture);
            leaders.Add(leader);
        }
        context.Leaders = leaders;
    }

    private void Check(MatchContext context, Leader leader, CatalogueLocal picture)
    {
        var photo = context.Photo;
        string imageId = leader.Fused.Hit.ImageId;
        var check = Cached(context, imageId, HitSource.WholePhoto, () => Verify(photo.Local!, photo.Width, photo.Height, picture))!.Value;
        var queryFrame = new PictureFrame(photo.Image);
        var source = leader.Fused.Source;
        // Found through a region of the photo (an object small in a scene): the whole photo has too few
        // cells on the object, so check that region, closer up, as well.
        if (source.Origin == HitOrigin.Region && options.CheckRegion && photo.RegionLocal(source.Index) is var (features, area)
            && Cached(context, imageId, source, () => Verify(features, area.Width, area.Height, picture)) is { } closer && closer.Inliers > check.Inliers)
        {
            check = closer;
            queryFrame = new PictureFrame(photo.Image, 1, area.X, area.Y);
        }
        // Found through the photo turned (taken sideways): check the turned photo as well.
        if (source.Origin == HitOrigin.Turn && photo.Turns.FirstOrDefault(t => t.QuarterTurns == source.Index) is { Local: { } turnedLocal } turn
            && Cached(context, imageId, source, () => Verify(turnedLocal, turn.Picture.Width, turn.Picture.Height, picture)) is { } turned
            && turned.Inliers > check.Inliers)
        {
            check = turned;
            queryFrame = new PictureFrame(turn.Picture);
        }
        leader.Inliers = check.Inliers;
        // Keypoints that lined up more parts than the CNN cells did say better where to compare colours.
        if (context.KeypointHits.TryGetValue(leader.ObjectId, out var pixelLevel) && pixelLevel.Inliers > check.Inliers && pixelLevel.ImageId == imageId)
        {
            check = AsVerification(pixelLevel, picture);
            queryFrame = new PictureFrame(photo.Image);
        }
        leader.Check = check;
        leader.QueryFrame = queryFrame;
        leader.Picture = picture;
    }

    private static Verification? Cached(MatchContext context, string imageId, HitSource view, Func<Verification> verify)
    {
        if (!context.Checks.TryGetValue((imageId, view), out var check))
            context.Checks[(imageId, view)] = check = verify();
        return check;
    }

    private Verification Verify(Embedding.LocalFeatures query, int width, int height, CatalogueLocal picture) =>
        SpatialVerifier.Verify(query, width, height, picture.Features, picture.Width, picture.Height, options.MinSimilarity);

    /// <summary>Keypoint inliers in the terms the colour check reads: the catalogue cells they fall in and the transform.</summary>
    internal static Verification AsVerification(KeypointCandidate found, CatalogueLocal local)
    {
        var grid = local.Features;
        var cells = found.CatalogueInliers
            .Select(p => Math.Clamp((int)(p.Y / local.Height * grid.GridHeight), 0, grid.GridHeight - 1) * grid.GridWidth
                       + Math.Clamp((int)(p.X / local.Width * grid.GridWidth), 0, grid.GridWidth - 1))
            .Distinct().Select(cell => (Query: -1, Candidate: cell)).ToList();
        return new Verification(found.Matches, found.Inliers, (float)(found.Transform?.Scale ?? 1)) { InlierPairs = cells, Transform = found.Transform };
    }
}

/// <summary>Compares the colours of the parts verification lined up (<see cref="ColourCheck"/>): same design, other material or paint.</summary>
public sealed class ColourStage : IMatchStage
{
    public string Name => "colour";

    public void Run(MatchContext context)
    {
        foreach (var leader in context.Leaders)
        {
            if (leader is not { Check: { } check, Picture: { } picture, QueryFrame: { } queryFrame })
                continue;
            var candidateFrame = new PictureFrame(picture.Thumbnail, (double)picture.Thumbnail.Width / picture.Width);
            leader.ColourShift = ColourCheck.Shift(queryFrame, candidateFrame, picture.Features, picture.Width, picture.Height, check);
        }
    }
}
