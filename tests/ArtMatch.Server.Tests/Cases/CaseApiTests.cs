using System.Text.Json;
using System.Text.Json.Nodes;
using ArtMatch.Core.Cases;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using ArtMatch.TestSupport;
using Google.Protobuf;
using Grpc.Core;
using Json.Schema;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests.Cases;

/// <summary>
/// Customs cases through the real gRPC client against the in-process server with API keys: an
/// officer creates and updates, a partner fetches, an officer key is refused GetCase; the export
/// of the cases validates against schemas/case-exchange.v1.schema.json.
/// </summary>
public sealed class CaseApiTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private const string Officer = "officer-key-0123456789";
    private const string Partner = "partner-key-0123456789";

    private async Task<InProcessServer> StartAsync()
    {
        var keysFile = Path.Combine(fixture.StoreDirectory, "case-keys.json");
        File.WriteAllText(keysFile, $$"""
            {"keys": [
              {"key": "{{Officer}}", "name": "officer-lhr-7", "role": "officer"},
              {"key": "{{Partner}}", "name": "archeo-partner-fr", "role": "partner"}
            ]}
            """);
        return await fixture.StartInProcessAsync(new ServerSettings { ApiKeysFile = keysFile });
    }

    private Wire.CreateCaseRequest NewCase(Wire.MatchResponse matched) => new()
    {
        ObjectId = fixture.Objects[5].Id,
        Place = "London Heathrow, cargo shed 4",
        Country = "gb",
        OccurredAt = "2026-11-30T14:05:00Z",
        Notes = "certificate photo shows another lion",
        Certificate = new Wire.ExportCertificate
        {
            CertificateNumber = "EC-2026-0042", IssuingAuthority = "Ministry of Culture", IssuingCountry = "IT", Exporter = "Galleria X",
            Consignee = "Y Ltd", CountryOfDestination = "GB", TypeOfExport = "definitive", ExpiryDate = "2027-01-31", HsCode = "9701",
        },
        Photos = { new Wire.ImageUpload { Data = ByteString.CopyFrom(File.ReadAllBytes(RepoPaths.DevFile("queries/q0094.jpg"))), Label = "crate 4, front" } },
        Findings = { new Wire.CaseFinding { Match = matched } },
    };

    [Fact]
    public async Task Case_CreatedUpdatedFetchedByPartner_RefusedToOfficer_ExportValidatesAgainstItsSchema()
    {
        await using var server = await StartAsync();
        var officer = server.Client(Officer);
        var photo = File.ReadAllBytes(RepoPaths.DevFile("queries/q0094.jpg"));
        var matched = await officer.MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo), TopK = 3 });

        var created = await officer.CreateCaseAsync(NewCase(matched));
        var updated = await officer.UpdateCaseAsync(new Wire.UpdateCaseRequest
        {
            CaseId = created.CaseId, Status = Wire.CaseStatus.Seized, Notes = "seized pending the Italian authority's answer", ExpectedRevision = 1,
        });
        var fetched = await server.Client(Partner).GetCaseAsync(new Wire.GetCaseRequest { CaseId = created.CaseId, IncludePhotos = true });
        var listed = await server.Client(Partner).ListCasesAsync(new Wire.ListCasesRequest { Since = "2020-01-01", Status = Wire.CaseStatus.Seized });
        var refused = await Assert.ThrowsAsync<RpcException>(() => officer.GetCaseAsync(new Wire.GetCaseRequest { CaseId = created.CaseId }).ResponseAsync);
        var anonymous = await Assert.ThrowsAsync<RpcException>(() => server.Client().GetCaseAsync(new Wire.GetCaseRequest { CaseId = created.CaseId }).ResponseAsync);

        Assert.Equal((Wire.CaseStatus.Open, 1, "officer-lhr-7", "GB"), (created.Status, created.Revision, created.Officer, created.Country));
        Assert.Equal((Wire.CaseStatus.Seized, 2), (updated.Status, updated.Revision));
        Assert.Equal((Wire.CaseStatus.Seized, "seized pending the Italian authority's answer", "EC-2026-0042"), (fetched.Status, fetched.Notes, fetched.Certificate.CertificateNumber));
        var kept = Assert.Single(fetched.Photos);
        Assert.Equal(Core.Hashing.Sha256Hex(photo), kept.PhotoId);
        Assert.Equal(photo, kept.Data.ToByteArray());
        Assert.Equal(matched, Assert.Single(fetched.Findings).Match);
        Assert.Contains(created.CaseId, listed.Cases.Select(c => c.CaseId));
        Assert.Equal((StatusCode.PermissionDenied, "GetCase needs the partner role; key 'officer-lhr-7' is officer."), (refused.StatusCode, refused.Status.Detail));
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        var audit = ((Storage.SqliteCatalogStore)fixture.Engine.RequireStore()).AuditLog(50).Where(e => e.Detail?.Contains(created.CaseId) == true).ToList();
        Assert.Equal([("case_update", "officer-lhr-7"), ("case_create", "officer-lhr-7")], audit.Select(e => (e.Action, e.Actor!)));

        var cases = (ICaseStore)fixture.Engine.RequireStore();
        // Since a day before this run, not a fixed date: the case was changed now, whatever the machine's clock says.
        var since = DateTime.UtcNow.AddDays(-1);
        var exported = CaseExchange.ToJson(cases.ListCases(since, null, 100), fixture.Engine.RequireStore().Get, since, DateTime.UtcNow);
        var evaluation = ExchangeSchema.Evaluate(exported);
        Assert.True(evaluation.IsValid, Errors(evaluation));
        var ours = exported["cases"]!.AsArray().Single(c => c!["case_id"]!.GetValue<string>() == created.CaseId)!;
        Assert.Equal(("seized", "EC-2026-0042", "IT", fixture.Objects[5].Id), (ours["case_status"]!.GetValue<string>(),
            ours["export_certificate"]!["certificate_number"]!.GetValue<string>(), ours["export_certificate"]!["country_of_export"]!.GetValue<string>(),
            ours["object"]!["object_id"]!.GetValue<string>()));
        Assert.Equal("match", ours["findings"]![0]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public void ExchangeSchema_RefusesAFileMissingItsCasesOrWithAnUnknownStatus()
    {
        var missing = new JsonObject { ["format"] = CaseExchange.Format, ["format_version"] = 1, ["exported_at"] = "2026-12-01T00:00:00Z" };
        var record = new CaseRecord { CaseId = "CASE-0123456789abcdef", OccurredAt = DateTime.UtcNow, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Revision = 1 };
        var unknown = CaseExchange.ToJson([record], _ => null, null, DateTime.UtcNow);
        unknown["cases"]![0]!["case_status"] = "lost";

        Assert.False(ExchangeSchema.Evaluate(missing).IsValid);
        Assert.False(ExchangeSchema.Evaluate(unknown).IsValid);
        Assert.True(ExchangeSchema.Evaluate(CaseExchange.ToJson([record], _ => null, null, DateTime.UtcNow)).IsValid);
    }

    [Fact]
    public async Task Cases_BadInput_StatusesThatSayWhatToFix()
    {
        await using var server = await StartAsync();
        var officer = server.Client(Officer);
        var created = await officer.CreateCaseAsync(new Wire.CreateCaseRequest { Place = "Dover" });
        await officer.UpdateCaseAsync(new Wire.UpdateCaseRequest { CaseId = created.CaseId, Notes = "first" });

        var badPhoto = await Assert.ThrowsAsync<RpcException>(() => officer.CreateCaseAsync(new Wire.CreateCaseRequest
        {
            Photos = { new Wire.ImageUpload { Data = ByteString.CopyFromUtf8("hello, not an image") } },
        }).ResponseAsync);
        var badCountry = await Assert.ThrowsAsync<RpcException>(() => officer.CreateCaseAsync(new Wire.CreateCaseRequest { Country = "Germany" }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => server.Client(Partner).GetCaseAsync(new Wire.GetCaseRequest { CaseId = "CASE-none" }).ResponseAsync);
        var stale = await Assert.ThrowsAsync<RpcException>(() => officer.UpdateCaseAsync(new Wire.UpdateCaseRequest
        {
            CaseId = created.CaseId, Notes = "second", ExpectedRevision = 1,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, badPhoto.StatusCode);
        Assert.StartsWith("Not a supported image", badPhoto.Status.Detail);
        Assert.Equal((StatusCode.InvalidArgument, "country 'Germany' is not an ISO 3166-1 alpha-2 code like DE."), (badCountry.StatusCode, badCountry.Status.Detail));
        Assert.Equal((StatusCode.NotFound, "No case 'CASE-none'."), (unknown.StatusCode, unknown.Status.Detail));
        Assert.Equal(StatusCode.FailedPrecondition, stale.StatusCode);
        Assert.Contains("revision 2, not 1", stale.Status.Detail);
        Assert.Equal("first", ((ICaseStore)fixture.Engine.RequireStore()).GetCase(created.CaseId)!.Notes);
    }

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
}

/// <summary>schemas/case-exchange.v1.schema.json from the repository, as JsonSchema.Net reads it.</summary>
internal static class ExchangeSchema
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(RepoPaths.Root, "schemas", "case-exchange.v1.schema.json")));

    public static EvaluationResults Evaluate(JsonNode document) =>
        Schema.Evaluate(JsonDocument.Parse(document.ToJsonString()).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
}
