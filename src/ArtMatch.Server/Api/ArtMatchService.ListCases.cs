using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    private const int MaxCaseLimit = 1000;

    /// <summary>Cases changed since a time, oldest change first (without photo bytes: GetCase fetches those).</summary>
    [RequiresRole(ApiRole.Partner)]
    public override Task<Wire.ListCasesResponse> ListCases(Wire.ListCasesRequest request, ServerCallContext context)
    {
        if (request.Limit < 0 || request.Limit > MaxCaseLimit)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"limit must be between 1 and {MaxCaseLimit} (0 means 100)."));
        DateTime? since = request.Since.Length == 0 ? null : CaseMapping.Time(request.Since, "since");
        var status = request.Status == Wire.CaseStatus.Unspecified ? (Core.Cases.CaseStatus?)null : CaseMapping.ToDomain(request.Status);
        var response = new Wire.ListCasesResponse();
        response.Cases.AddRange(Cases.ListCases(since, status, request.Limit == 0 ? 100 : request.Limit).Select(c => CaseMapping.ToApi(c, null)));
        return Task.FromResult(response);
    }
}
