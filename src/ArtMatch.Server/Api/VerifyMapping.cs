using ArtMatch.Core.Matching;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

/// <summary>A verification as the wire answers it (the Verify RPC, and `artmatch verify` locally).</summary>
public static class VerifyMapping
{
    public static Wire.VerifyResponse ToApi(VerifyResult result, VerifyThresholds thresholds, string modelId, double elapsedMs)
    {
        var response = new Wire.VerifyResponse
        {
            Verdict = ToApi(result.Verdict),
            Score = result.Score,
            Similarity = result.Similarity,
            Inliers = result.Inliers,
            KeypointInliers = result.KeypointInliers,
            SiftInliers = result.SiftInliers,
            MatchedImageId = result.ImageId,
            PhotoWidth = result.PhotoWidth,
            PhotoHeight = result.PhotoHeight,
            SameThreshold = thresholds.Same,
            UncertainThreshold = thresholds.Uncertain,
            ModelId = modelId,
            ElapsedMs = elapsedMs,
        };
        if (result.ColourShift is { } shift)
            response.ColourShift = shift;
        if (result.MatchedRegion is { } region)
            response.MatchedRegion = new Wire.PixelRegion { X = region.X, Y = region.Y, Width = region.Width, Height = region.Height };
        return response;
    }

    public static Wire.VerifyVerdict ToApi(VerifyVerdict verdict) => verdict switch
    {
        VerifyVerdict.Same => Wire.VerifyVerdict.Same,
        VerifyVerdict.Uncertain => Wire.VerifyVerdict.Uncertain,
        _ => Wire.VerifyVerdict.Different,
    };
}
