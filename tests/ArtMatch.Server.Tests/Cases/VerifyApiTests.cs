using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using ArtMatch.TestSupport;
using Google.Protobuf;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests.Cases;

/// <summary>
/// Verify through the real gRPC client against the in-process server with API keys (real model,
/// real store of 25 dev objects): answers, refusals, audit, and a Verify answer kept in a case.
/// </summary>
public sealed class VerifyApiTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private const string Officer = "verify-officer-0123456789";
    private const string Partner = "verify-partner-0123456789";

    /// <summary>A key only the audit test uses, so that its audit entries are its own.</summary>
    private const string Audited = "verify-audited-0123456789";

    private static ByteString Query(string name) => ByteString.CopyFrom(File.ReadAllBytes(RepoPaths.DevFile($"queries/{name}")));

    private async Task<InProcessServer> StartAsync()
    {
        var keysFile = Path.Combine(fixture.StoreDirectory, "verify-keys.json");
        File.WriteAllText(keysFile, $$"""
            {"keys": [
              {"key": "{{Officer}}", "name": "officer-dvr-2", "role": "officer"},
              {"key": "{{Partner}}", "name": "archeo-partner-it", "role": "partner"},
              {"key": "{{Audited}}", "name": "officer-dvr-9", "role": "officer"}
            ]}
            """);
        return await fixture.StartInProcessAsync(new ServerSettings { ApiKeysFile = keysFile });
    }

    [Fact]
    public async Task Verify_CertificatePhotoAndObject_SameWithEvidence_AuditedUnderTheKey_RefusedWithoutKey()
    {
        await using var server = await StartAsync();
        var officer = server.Client(Audited);
        var photo = Query("q0094.jpg");

        var byPicture = await officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo, ReferencePicture = ByteString.CopyFrom(fixture.Photo(5)) });
        var byObject = await officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo, ObjectId = fixture.Objects[5].Id });
        var other = await officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo, ReferencePicture = ByteString.CopyFrom(fixture.Photo(12)) });
        var anonymous = await Assert.ThrowsAsync<RpcException>(() => server.Client().VerifyAsync(new Wire.VerifyRequest { Photo = photo, ObjectId = fixture.Objects[5].Id }).ResponseAsync);

        Assert.Equal((Wire.VerifyVerdict.Same, Wire.VerifyVerdict.Same, Wire.VerifyVerdict.Different), (byPicture.Verdict, byObject.Verdict, other.Verdict));
        Assert.True(byPicture.Score >= byPicture.SameThreshold && byPicture.SameThreshold > byPicture.UncertainThreshold);
        Assert.True(other.Score < other.UncertainThreshold, $"different pair scored {other.Score}");
        Assert.NotNull(byPicture.MatchedRegion);
        Assert.Equal(Core.Hashing.Sha256Hex(fixture.Photo(5)), byPicture.MatchedImageId);
        Assert.Equal(byPicture.MatchedImageId, byObject.MatchedImageId);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        var store = (Storage.SqliteCatalogStore)fixture.Engine.RequireStore();
        var audited = store.AuditLog(50).Where(e => e.Action == "verify" && e.Actor == "officer-dvr-9").ToList();
        Assert.Equal(3, audited.Count);
        Assert.Contains(audited, e => e.ObjectId == fixture.Objects[5].Id && e.Detail!.Contains("verdict=Same") && e.Detail.Contains("photo_sha256=" + Core.Hashing.Sha256Hex(photo.Span)));
        Assert.True(store.VerifyAudit().Valid);
    }

    [Fact]
    public async Task Verify_BadInput_StatusesThatSayWhatToFix_NothingAudited()
    {
        await using var server = await StartAsync();
        var officer = server.Client(Officer);
        var photo = Query("q0094.jpg");
        var store = (Storage.SqliteCatalogStore)fixture.Engine.RequireStore();
        int before = store.AuditLog(1000).Count(e => e.Action == "verify");

        var badPhoto = await Assert.ThrowsAsync<RpcException>(() => officer.VerifyAsync(new Wire.VerifyRequest { Photo = ByteString.CopyFromUtf8("hello, not an image"), ObjectId = fixture.Objects[5].Id }).ResponseAsync);
        var badReference = await Assert.ThrowsAsync<RpcException>(() => officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo, ReferencePicture = ByteString.CopyFromUtf8("hello, not an image") }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo, ObjectId = "NO-SUCH-OBJECT" }).ResponseAsync);
        var nothing = await Assert.ThrowsAsync<RpcException>(() => officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo }).ResponseAsync);
        var empty = await Assert.ThrowsAsync<RpcException>(() => officer.VerifyAsync(new Wire.VerifyRequest { ObjectId = fixture.Objects[5].Id }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, badPhoto.StatusCode);
        Assert.StartsWith("photo: Not a supported image", badPhoto.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, badReference.StatusCode);
        Assert.StartsWith("reference_picture: Not a supported image", badReference.Status.Detail);
        Assert.Equal((StatusCode.NotFound, "No object 'NO-SUCH-OBJECT' in the catalogue."), (unknown.StatusCode, unknown.Status.Detail));
        Assert.Equal(StatusCode.InvalidArgument, nothing.StatusCode);
        Assert.StartsWith("Say what to verify against", nothing.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal(before, store.AuditLog(1000).Count(e => e.Action == "verify"));
    }

    [Fact]
    public async Task Case_KeepsAVerifyAnswer_PartnerFetchesIt_ExportNamesItVerify()
    {
        await using var server = await StartAsync();
        var officer = server.Client(Officer);
        var photo = Query("q0094.jpg");
        var verified = await officer.VerifyAsync(new Wire.VerifyRequest { Photo = photo, ReferencePicture = ByteString.CopyFrom(fixture.Photo(12)) });

        var created = await officer.CreateCaseAsync(new Wire.CreateCaseRequest
        {
            ObjectId = fixture.Objects[12].Id, Place = "Dover, lane 3", Country = "GB", Notes = "certificate photo is another object",
            Photos = { new Wire.ImageUpload { Data = photo, Label = "declared object" } },
            Findings = { new Wire.CaseFinding { Verify = verified, PhotoId = Core.Hashing.Sha256Hex(photo.Span) } },
        });
        var fetched = await server.Client(Partner).GetCaseAsync(new Wire.GetCaseRequest { CaseId = created.CaseId });

        var finding = Assert.Single(fetched.Findings);
        Assert.Equal(Wire.CaseFinding.AnswerOneofCase.Verify, finding.AnswerCase);
        Assert.Equal(verified, finding.Verify);
        var record = ((Core.Cases.ICaseStore)fixture.Engine.RequireStore()).GetCase(created.CaseId)!;
        var exported = Core.Cases.CaseExchange.ToJson([record], fixture.Engine.RequireStore().Get, null, DateTime.UtcNow);
        Assert.True(ExchangeSchema.Evaluate(exported).IsValid);
        var kept = exported["cases"]![0]!["findings"]![0]!;
        Assert.Equal(("verify", "different", fixture.Objects[12].Id), (kept["kind"]!.GetValue<string>(), kept["verdict"]!.GetValue<string>(), kept["object_id"]!.GetValue<string>()));
    }
}
