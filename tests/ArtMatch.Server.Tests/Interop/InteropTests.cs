using System.Text.Json;
using ArtMatch.Server.Tests.Support;
using Xunit.Abstractions;

namespace ArtMatch.Server.Tests.Interop;

/// <summary>
/// The running `artmatch serve` called by two gRPC implementations we did not write, Debian's
/// python3-grpcio and npm's @grpc/grpc-js, over cleartext h2c and over TLS (a certificate made by the
/// test, trusted by the clients as their root): the API's answers, every status with its message,
/// the limits, deadlines, roles, health and reflection.
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class InteropTests(ServeFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string, string> Peers => new()
    {
        { "python", "h2c" }, { "node", "h2c" }, { "python", "tls" }, { "node", "tls" },
    };

    private async Task<JsonElement> Scenario(string client, string transport, string name)
    {
        var suite = await fixture.SuiteAsync(client, transport);
        var outcome = suite.GetProperty(name);
        output.WriteLine($"{client} over {transport}, {name}: {outcome}");
        return outcome;
    }

    private static string Code(JsonElement outcome) => outcome.GetProperty("code").GetString()!;

    private static string Details(JsonElement outcome) => outcome.GetProperty("details").GetString()!;

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Match_RealPhoto_FindsTheObject_PlainAndGzipped(string client, string transport)
    {
        foreach (var name in new[] { "match", "match_gzip" })
        {
            var outcome = await Scenario(client, transport, name);
            Assert.Equal("OK", Code(outcome));
            Assert.Equal(fixture.Objects[7].Id, outcome.GetProperty("object_id").GetString());
            Assert.Equal("MATCH", outcome.GetProperty("verdict").GetString());
            Assert.Equal(3, outcome.GetProperty("candidates").GetInt32());
        }
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Match_TenMegabytePhoto_IsAnswered(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "match_10mb");

        Assert.Equal("OK", Code(outcome));
        Assert.Equal(fixture.Objects[3].Id, outcome.GetProperty("object_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task ScreenBatch_TwentyPhotos_OneResultEach(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "screen_20");

        Assert.Equal("OK", Code(outcome));
        var results = outcome.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(20, results.Count);
        for (int i = 0; i < 20; i++)
            Assert.Equal(fixture.Objects[i].Id, results.Single(r => r.GetProperty("caller_id").GetString() == $"photo-{i}").GetProperty("object_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Match_ExpiredDeadline_DeadlineExceeded_ThenTheSameKeysNextPhotoAnswered(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "deadline_expired");

        Assert.Equal("DEADLINE_EXCEEDED", Code(outcome));
        // The same key's next photo is answered (once the expired call's work has stopped and given its share back).
        Assert.Equal("OK", outcome.GetProperty("after").GetString());
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task BadRequests_InvalidArgumentNotFoundUnimplemented_WithTheirMessages(string client, string transport)
    {
        var notAnImage = await Scenario(client, transport, "not_an_image");
        var empty = await Scenario(client, transport, "empty_photo");
        var topK = await Scenario(client, transport, "top_k_too_large");
        var notFound = await Scenario(client, transport, "not_found");
        var unknownMethod = await Scenario(client, transport, "unknown_method");

        Assert.Equal("INVALID_ARGUMENT", Code(notAnImage));
        Assert.StartsWith("Not a supported image", Details(notAnImage));
        Assert.Equal(("INVALID_ARGUMENT", "photo is empty: send the image bytes (JPEG, PNG, WebP, TIFF, GIF or HEIC)."), (Code(empty), Details(empty)));
        Assert.Equal(("INVALID_ARGUMENT", "top_k must be between 1 and 50 (0 means 5)."), (Code(topK), Details(topK)));
        Assert.Equal(("NOT_FOUND", "No object 'NO-SUCH-OBJECT' in the catalogue."), (Code(notFound), Details(notFound)));
        Assert.Equal("UNIMPLEMENTED", Code(unknownMethod));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Verify_SamePairAndObject_Same_WithItsEvidence(string client, string transport)
    {
        var picture = await Scenario(client, transport, "verify_same");
        var catalogued = await Scenario(client, transport, "verify_same_object");

        foreach (var outcome in new[] { picture, catalogued })
        {
            Assert.Equal(("OK", "SAME"), (Code(outcome), outcome.GetProperty("verdict").GetString()));
            Assert.True(outcome.GetProperty("score").GetDouble() >= outcome.GetProperty("same_threshold").GetDouble());
            Assert.True(outcome.GetProperty("has_region").GetBoolean());
        }
        // Against the object, the picture that agreed is the catalogue's copy of the same bytes.
        Assert.Equal(picture.GetProperty("matched_image_id").GetString(), catalogued.GetProperty("matched_image_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Verify_DifferentPair_Different(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "verify_different");

        Assert.Equal(("OK", "DIFFERENT"), (Code(outcome), outcome.GetProperty("verdict").GetString()));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Verify_UnknownObject_NotFound(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "verify_unknown_object");

        Assert.Equal(("NOT_FOUND", "No object 'NO-SUCH-OBJECT' in the catalogue."), (Code(outcome), Details(outcome)));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Verify_BadImageOrNothingToCompare_InvalidArgument_WithWhatToFix(string client, string transport)
    {
        var badPhoto = await Scenario(client, transport, "verify_bad_image");
        var badReference = await Scenario(client, transport, "verify_bad_reference");
        var nothing = await Scenario(client, transport, "verify_nothing_to_compare");

        Assert.Equal("INVALID_ARGUMENT", Code(badPhoto));
        Assert.StartsWith("photo: Not a supported image", Details(badPhoto));
        Assert.Equal("INVALID_ARGUMENT", Code(badReference));
        Assert.StartsWith("reference_picture: Not a supported image", Details(badReference));
        Assert.Equal(("INVALID_ARGUMENT", "Say what to verify against: reference_picture (the certificate's photo bytes) or object_id (a catalogued object)."),
            (Code(nothing), Details(nothing)));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Match_MessageOverThe32MegabyteLimit_ResourceExhausted(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "over_limit");

        Assert.Equal("RESOURCE_EXHAUSTED", Code(outcome));
        Assert.Contains("exceeds the maximum", Details(outcome));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Keys_MissingOrUnknown_Unauthenticated(string client, string transport)
    {
        var none = await Scenario(client, transport, "no_key");
        var unknown = await Scenario(client, transport, "unknown_key");

        Assert.Equal(("UNAUTHENTICATED", "Missing API key: send metadata 'authorization: Bearer <key>'."), (Code(none), Details(none)));
        Assert.Equal(("UNAUTHENTICATED", "Unknown API key."), (Code(unknown), Details(unknown)));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Roles_OfficerPartnerAdmin_AllowedAndRefusedCalls(string client, string transport)
    {
        var officerMatch = await Scenario(client, transport, "match");
        var officerSearch = await Scenario(client, transport, "officer_search");
        var officerUpsert = await Scenario(client, transport, "officer_upsert");
        var partnerUpsert = await Scenario(client, transport, "partner_upsert");
        var partnerAdd = await Scenario(client, transport, "partner_add_images");
        var partnerDelete = await Scenario(client, transport, "partner_delete");
        var adminDelete = await Scenario(client, transport, "admin_delete");

        Assert.Equal("OK", Code(officerMatch));
        // 25 titles match; a search returns 20 unless asked for more.
        Assert.Equal(("OK", 20), (Code(officerSearch), officerSearch.GetProperty("objects").GetInt32()));
        Assert.Equal(("PERMISSION_DENIED", "UpsertObject needs the partner role; key 'officer-1' is officer."), (Code(officerUpsert), Details(officerUpsert)));
        Assert.Equal(("OK", true, 1), (Code(partnerUpsert), partnerUpsert.GetProperty("created").GetBoolean(), partnerUpsert.GetProperty("images_added").GetInt32()));
        Assert.Equal(("OK", 1), (Code(partnerAdd), partnerAdd.GetProperty("images_added").GetInt32()));
        Assert.Equal(("PERMISSION_DENIED", "DeleteObject needs the admin role; key 'registry-1' is partner."), (Code(partnerDelete), Details(partnerDelete)));
        Assert.Equal(("OK", true), (Code(adminDelete), adminDelete.GetProperty("deleted").GetBoolean()));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Health_ServerAndArtMatch_ServingWithoutAKey(string client, string transport)
    {
        var server = await Scenario(client, transport, "health_server");
        var artmatch = await Scenario(client, transport, "health_artmatch");

        Assert.Equal(("OK", "SERVING"), (Code(server), server.GetProperty("status").GetString()));
        Assert.Equal(("OK", "SERVING"), (Code(artmatch), artmatch.GetProperty("status").GetString()));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Reflection_ListsArtMatchAndReturnsItsFileDescriptor(string client, string transport)
    {
        var outcome = await Scenario(client, transport, "reflection");

        Assert.Equal("OK", Code(outcome));
        Assert.Contains("artmatch.v1.ArtMatch", outcome.GetProperty("services").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("artmatch/v1/artmatch.proto", outcome.GetProperty("file").GetString());
        Assert.Equal("artmatch.v1", outcome.GetProperty("package").GetString());
        Assert.Equal(["Match", "ScreenBatch", "UpsertObject", "AddImages", "DeleteObject", "GetObject", "SearchObjects", "Verify", "CreateCase", "UpdateCase", "GetCase", "ListCases"],
            outcome.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }
}
