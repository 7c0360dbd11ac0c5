using System.Diagnostics;
using System.Globalization;
using ArtMatch.Core;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    /// <summary>
    /// 1:1 verification of a photo against an uploaded reference picture (an export certificate's
    /// photo) or a catalogued object's pictures: admitted like Match (RESOURCE_EXHAUSTED when full),
    /// an unknown object NOT_FOUND before any pixel is decoded, a picture that is not one
    /// INVALID_ARGUMENT naming the field, and every answer audited.
    /// </summary>
    [RequiresRole(ApiRole.Officer)]
    public override async Task<Wire.VerifyResponse> Verify(Wire.VerifyRequest request, ServerCallContext context)
    {
        if (request.Photo.IsEmpty)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "photo is empty: send the image bytes (JPEG, PNG, WebP, TIFF, GIF or HEIC)."));
        var against = request.AgainstCase;
        string? objectId = null;
        if (against == Wire.VerifyRequest.AgainstOneofCase.ObjectId)
        {
            objectId = RequestLimits.ObjectId(request.ObjectId, "object_id");
            if (Store.Get(objectId) is null)
                throw new ObjectNotFoundException(objectId);
        }
        else if (against != Wire.VerifyRequest.AgainstOneofCase.ReferencePicture || request.ReferencePicture.IsEmpty)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "Say what to verify against: reference_picture (the certificate's photo bytes) or object_id (a catalogued object)."));
        }
        var verifier = engine.RequireVerifier();
        var thresholds = engine.RequireMatcher().Settings.Verification.Thresholds;
        var cancellation = context.CancellationToken;
        // Admitted (or refused RESOURCE_EXHAUSTED) before any pixel is decoded, as Match is.
        long bytes = request.Photo.Length + (objectId is null ? request.ReferencePicture.Length : 0);
        using var slot = await admission.EnterAsync(context.CallerKey(), bytes, cancellation).ConfigureAwait(false);
        var (result, elapsed) = await Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var photo = Field("photo", () => verifier.Describe(request.Photo.Span, cancellation));
            cancellation.ThrowIfCancellationRequested();
            var verified = objectId is null
                ? Field("reference_picture", () => verifier.VerifyAgainst(photo, request.ReferencePicture.Span, cancellation))
                : verifier.VerifyObject(photo, objectId, cancellation);
            return (verified, clock.Elapsed.TotalMilliseconds);
        }, cancellation).ConfigureAwait(false);
        // Audited as Match is: who, which photo, against what, the verdict.
        Store.Audit(context.CallerName(), "verify", objectId, string.Create(CultureInfo.InvariantCulture,
            $"verdict={result.Verdict}; score={result.Score:0.####}; against={(objectId is null ? "reference_picture" : "object")}; reference_sha256={result.ImageId}; photo_sha256={Hashing.Sha256Hex(request.Photo.Span)}"));
        return VerifyMapping.ToApi(result, thresholds, engine.Describer.VectorSpaceId, elapsed);
    }

    /// <summary>A picture that cannot be read, named by its field (the call carries two).</summary>
    private static T Field<T>(string field, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (ImageDecodeException e)
        {
            throw new ImageDecodeException(e.Kind, $"{field}: {e.Message}", e);
        }
    }
}
