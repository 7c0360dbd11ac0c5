using ArtMatch.Core.Catalog;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Metrics;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

/// <summary>
/// artmatch.v1.ArtMatch: overrides of the base Grpc.Tools generates from protos/artmatch/v1, thin
/// handlers over the engine's matcher, importer and store, split by concern (matching in
/// ArtMatchService.Match.cs, the catalogue in ArtMatchService.Catalogue.cs).
/// <para>
/// A new RPC: declare it in the .proto, override it in a partial file here with a
/// <see cref="RequiresRoleAttribute"/> (without one it needs the admin role), check the request
/// with <c>RpcException(StatusCode.InvalidArgument, ...)</c>, and let the domain's exceptions
/// through: <see cref="DomainStatus"/> maps them at the edge. Photo work (decode, inference) goes
/// through <see cref="AdmissionControl.EnterAsync"/> first: refused with RESOURCE_EXHAUSTED when full.
/// </para>
/// </summary>
public sealed partial class ArtMatchService(ArtMatchEngine engine, ArtMatchMetrics metrics, AdmissionControl admission) : Wire.ArtMatch.ArtMatchBase
{
    /// <summary>The service's full name, as health, reflection and metrics know it.</summary>
    public static string ServiceName => Wire.ArtMatch.Descriptor.FullName;

    private ICatalogStore Store => engine.RequireStore();
}
