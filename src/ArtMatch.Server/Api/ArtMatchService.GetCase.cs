using ArtMatch.Core.Cases;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    /// <summary>One case, for partner systems (and admins); officers see theirs in CreateCase's and UpdateCase's answers.</summary>
    [RequiresRole(ApiRole.Partner)]
    public override Task<Wire.Case> GetCase(Wire.GetCaseRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.CaseId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "case_id is required."));
        var cases = Cases;
        var found = cases.GetCase(request.CaseId) ?? throw new CaseNotFoundException(request.CaseId);
        return Task.FromResult(CaseMapping.ToApi(found, request.IncludePhotos ? cases.GetCasePhoto : null));
    }
}
