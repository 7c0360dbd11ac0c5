using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>API keys and roles (ApiKeyInterceptor): who may call what, and what the refused are told.</summary>
public sealed class ApiKeyTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private const string Officer = "officer-key-0123456789";
    private const string Partner = "partner-key-0123456789";
    private const string Admin = "admin-key-012345678901";

    private async Task<InProcessServer> StartAsync()
    {
        var keysFile = Path.Combine(fixture.StoreDirectory, "keys.json");
        File.WriteAllText(keysFile, $$"""
            {"keys": [
              {"key": "{{Officer}}", "name": "officer-1", "role": "officer"},
              {"key": "{{Partner}}", "name": "registry-1", "role": "partner"},
              {"key": "{{Admin}}", "name": "admin-1", "role": "Admin"}
            ]}
            """);
        return await fixture.StartInProcessAsync(new ServerSettings { ApiKeysFile = keysFile });
    }

    private Wire.MatchRequest Photo => new() { Photo = ByteString.CopyFrom(fixture.Photo(2)), TopK = 1 };

    [Fact]
    public async Task Match_NoKeyOrUnknownKey_Unauthenticated()
    {
        await using var server = await StartAsync();

        var none = await Assert.ThrowsAsync<RpcException>(() => server.Client().MatchAsync(Photo).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => server.Client("not-a-key-0123456789").MatchAsync(Photo).ResponseAsync);

        Assert.Equal((StatusCode.Unauthenticated, "Missing API key: send metadata 'authorization: Bearer <key>'."), (none.StatusCode, none.Status.Detail));
        Assert.Equal((StatusCode.Unauthenticated, "Unknown API key."), (unknown.StatusCode, unknown.Status.Detail));
    }

    [Fact]
    public async Task Roles_EachAllowedItsMethodsAndRefusedTheNext_WritesAuditedUnderTheKeysName()
    {
        await using var server = await StartAsync();
        var upsert = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "KEY-1" } };
        var delete = new Wire.DeleteObjectRequest { ObjectId = "KEY-1" };

        var officerMatch = await server.Client(Officer).MatchAsync(Photo);
        var officerSearch = await server.Client(Officer).SearchObjectsAsync(new Wire.SearchObjectsRequest { Text = "Title" });
        var officerUpsert = await Assert.ThrowsAsync<RpcException>(() => server.Client(Officer).UpsertObjectAsync(upsert).ResponseAsync);
        var partnerUpsert = await server.Client(Partner).UpsertObjectAsync(upsert);
        var partnerDelete = await Assert.ThrowsAsync<RpcException>(() => server.Client(Partner).DeleteObjectAsync(delete).ResponseAsync);
        var adminDelete = await server.Client(Admin).DeleteObjectAsync(delete);

        Assert.NotEmpty(officerMatch.Candidates);
        Assert.NotEmpty(officerSearch.Objects);
        Assert.Equal((StatusCode.PermissionDenied, "UpsertObject needs the partner role; key 'officer-1' is officer."), (officerUpsert.StatusCode, officerUpsert.Status.Detail));
        Assert.True(partnerUpsert.Created);
        Assert.Equal((StatusCode.PermissionDenied, "DeleteObject needs the admin role; key 'registry-1' is partner."), (partnerDelete.StatusCode, partnerDelete.Status.Detail));
        Assert.True(adminDelete.Deleted);
        var audit = ((ArtMatch.Storage.SqliteCatalogStore)fixture.Engine.RequireStore()).AuditLog(10);
        Assert.Contains(audit, e => e.Actor == "registry-1" && e.ObjectId == "KEY-1");
        Assert.Contains(audit, e => e.Actor == "admin-1" && e.ObjectId == "KEY-1");
        Assert.Contains(audit, e => e.Actor == "officer-1" && e.Action == "match" && e.Detail!.Contains("verdict=") && e.Detail.Contains("photo_sha256="));
        Assert.True(((ArtMatch.Storage.SqliteCatalogStore)fixture.Engine.RequireStore()).VerifyAudit().Valid);
    }

    [Fact]
    public async Task ScreenBatch_OfficerKey_Allowed_NoKey_RefusedBeforeAnyPhotoIsRead()
    {
        await using var server = await StartAsync();

        using var refused = server.Client().ScreenBatch();
        var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext());
        using var allowed = server.Client(Officer).ScreenBatch();
        await allowed.RequestStream.WriteAsync(new Wire.ScreenItem { CallerId = "a", Photo = ByteString.CopyFrom(fixture.Photo(3)), TopK = 1 });
        await allowed.RequestStream.CompleteAsync();
        var results = await allowed.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal(fixture.Objects[3].Id, Assert.Single(results).Result.Candidates[0].Object.ObjectId);
    }

    [Fact]
    public async Task Health_NoKey_Answered_Reflection_NeedsAKey()
    {
        await using var server = await StartAsync();

        var health = await server.Health().CheckAsync(new HealthCheckRequest { Service = "artmatch.v1.ArtMatch" });
        var refused = await Assert.ThrowsAsync<RpcException>(() => ListServices(server, null));
        var listed = await ListServices(server, Officer);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains(listed.ListServicesResponse.Service, s => s.Name == "artmatch.v1.ArtMatch");
    }

    private static async Task<ServerReflectionResponse> ListServices(InProcessServer server, string? key)
    {
        var headers = key is null ? null : new Metadata { { "authorization", $"Bearer {key}" } };
        using var reflection = new ServerReflection.ServerReflectionClient(server.Channel).ServerReflectionInfo(headers);
        try
        {
            await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await reflection.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server may refuse the call before the request is written (seen in a CI rehearsal: the
            // write then fails as Cancelled); the server's own status comes with the response below.
        }
        return await reflection.ResponseStream.ReadAllAsync().SingleAsync();
    }
}
