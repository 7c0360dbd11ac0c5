using ArtMatch.Core.Cases;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    [RequiresRole(ApiRole.Officer)]
    public override async Task<Wire.Case> UpdateCase(Wire.UpdateCaseRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.CaseId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "case_id is required."));
        // Checked before the photos are decoded, the costly part; the store checks again.
        var current = Cases.GetCase(request.CaseId) ?? throw new CaseNotFoundException(request.CaseId);
        var photos = await CasePhotosAsync(request.AddPhotos, context).ConfigureAwait(false);
        var update = CaseMapping.ToDomain(request, photos, current.ObjectId, DateTime.UtcNow);
        return CaseMapping.ToApi(Cases.UpdateCase(request.CaseId, update, context.CallerName()), null);
    }
}
