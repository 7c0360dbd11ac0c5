using ArtMatch.Core.Cases;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    /// <summary>Most photos one call may add to a case.</summary>
    private const int MaxCasePhotos = 20;

    [RequiresRole(ApiRole.Officer)]
    public override async Task<Wire.Case> CreateCase(Wire.CreateCaseRequest request, ServerCallContext context)
    {
        var photos = await CasePhotosAsync(request.Photos, context).ConfigureAwait(false);
        var created = Cases.CreateCase(CaseMapping.ToDomain(request, photos, DateTime.UtcNow), context.CallerName());
        return CaseMapping.ToApi(created, null);
    }

    private ICaseStore Cases => Store as ICaseStore
        ?? throw new RpcException(new Status(StatusCode.Unimplemented, "This server's store keeps no cases."));

    /// <summary>The uploads checked to be pictures (decoded off the request thread), then named by their sha256.</summary>
    private async Task<List<NewCasePhoto>> CasePhotosAsync(IReadOnlyList<Wire.ImageUpload> uploads, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        if (uploads.Count > MaxCasePhotos)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{uploads.Count} photos in one call; send at most {MaxCasePhotos} and add more with UpdateCase."));
        if (uploads.FirstOrDefault(u => u.Data.IsEmpty) is not null)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A photo is empty: send the image bytes (JPEG, PNG, WebP, TIFF, GIF or HEIC)."));
        if (uploads.Count == 0)
            return [];
        using var slot = await admission.EnterAsync(context.CallerKey(), uploads.Sum(u => (long)u.Data.Length), cancellation).ConfigureAwait(false);
        return await Task.Run(() => uploads.Select(u =>
        {
            engine.Describer.Decode(u.Data.Span, cancellation);
            return new NewCasePhoto(u.Data.ToByteArray(), u.Label.Length == 0 ? null : u.Label);
        }).ToList(), cancellation).ConfigureAwait(false);
    }
}
