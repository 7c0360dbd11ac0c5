using ArtMatch.Grpc;
using ArtMatch.Server.Hosting;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

public sealed class ApiTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private const string Service = "/artmatch.v1.ArtMatch/";

    private static Wire.MatchRequest Photo(byte[] bytes, int top = 3) => new() { Photo = ByteString.CopyFrom(bytes), TopK = top };

    private Task<Wire.MatchResponse> MatchAsync(GrpcClient client, Wire.MatchRequest request, Dictionary<string, string>? metadata = null) =>
        client.UnaryAsync(Service + "Match", request, Wire.MatchResponse.Parser, metadata);

    [Fact]
    public async Task Match_PhotoOfCatalogueObject_RanksItFirstWithAVerdict()
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;
        var target = fixture.Objects[4];

        var response = await MatchAsync(client, Photo(File.ReadAllBytes(target.Image)));

        Assert.Equal(target.Id, response.Candidates[0].Object.ObjectId);
        Assert.Equal("Title " + target.Id, response.Candidates[0].Object.Title);
        Assert.Equal(Wire.Verdict.Match, response.Verdict);
        Assert.Equal(3, response.Candidates.Count);
        Assert.Equal(64, response.Candidates[0].MatchedImageId.Length);
        Assert.StartsWith("mobilenetv2", response.ModelId);
        // The picture itself: many local features agree, and its colours (a painting) agree.
        Assert.True(response.Candidates[0].Inliers > 12, $"inliers {response.Candidates[0].Inliers}");
        Assert.True(response.Candidates[0].HasColourShift);
        Assert.InRange(response.Candidates[0].ColourShift, 0f, 0.1f);
        // A catalogue this small is not whitened: candidates are ranked by their score itself.
        Assert.All(response.Candidates, c => Assert.Equal(c.Score, c.RankScore));
        Assert.True(response.Candidates.Zip(response.Candidates.Skip(1)).All(pair => pair.First.RankScore >= pair.Second.RankScore));
    }

    [Theory]
    [InlineData("text", "Not a supported image")]
    [InlineData("empty", "photo is empty")]
    [InlineData("truncated", "damaged")]
    public async Task Match_BadPhoto_IsInvalidArgumentSayingWhy(string kind, string expected)
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;
        var jpeg = File.ReadAllBytes(fixture.Objects[0].Image);
        byte[] photo = kind switch { "text" => "not an image"u8.ToArray(), "empty" => [], _ => jpeg[..(jpeg.Length / 3)] };

        var error = await Assert.ThrowsAsync<RpcException>(() => MatchAsync(client, Photo(photo)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail);
        Assert.NotEmpty((await MatchAsync(client, Photo(jpeg))).Candidates);
    }

    [Fact]
    public async Task Match_TopKTooLarge_IsInvalidArgument()
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;

        var error = await Assert.ThrowsAsync<RpcException>(() => MatchAsync(client, Photo(File.ReadAllBytes(fixture.Objects[0].Image), top: 500)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("top_k", error.Status.Detail);
    }

    [Fact]
    public async Task Match_MessageOverServerLimit_IsResourceExhausted()
    {
        var (app, client) = await fixture.StartInProcessAsync(new ServerSettings { MaxMessageBytes = 100_000 });
        await using var _ = app;

        var error = await Assert.ThrowsAsync<RpcException>(() => MatchAsync(client, Photo(new byte[200_000])));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Catalogue_UpsertGetSearchAddDelete_RoundTrip()
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;
        var images = fixture.Objects.Skip(20).Select(o => File.ReadAllBytes(o.Image)).ToList();
        var upsert = new Wire.UpsertObjectRequest
        {
            Object = new Wire.CulturalObject { ObjectId = "API-1", Title = "Reliquary", Maker = "Hugo d'Oignies", InscriptionsAndMarkings = "HVGO ME FECIT", Status = Wire.ObjectStatus.Stolen, Registry = "API-TEST", DateReported = "2025-02-01" },
        };
        upsert.Object.Extra["case"] = "77";
        upsert.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFrom(images[0]), Label = "front" });

        var created = await client.UnaryAsync(Service + "UpsertObject", upsert, Wire.UpsertObjectResponse.Parser);
        var added = await client.UnaryAsync(Service + "AddImages", new Wire.AddImagesRequest { ObjectId = "API-1", Images = { new Wire.ImageUpload { Data = ByteString.CopyFrom(images[1]) } } }, Wire.UpsertObjectResponse.Parser);
        var fetched = await client.UnaryAsync(Service + "GetObject", new Wire.GetObjectRequest { ObjectId = "API-1" }, Wire.GetObjectResponse.Parser);
        var found = await client.UnaryAsync(Service + "SearchObjects", new Wire.SearchObjectsRequest { Text = "fecit" }, Wire.SearchObjectsResponse.Parser);
        var deleted = await client.UnaryAsync(Service + "DeleteObject", new Wire.DeleteObjectRequest { ObjectId = "API-1" }, Wire.DeleteObjectResponse.Parser);
        var gone = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Service + "GetObject", new Wire.GetObjectRequest { ObjectId = "API-1" }, Wire.GetObjectResponse.Parser));

        Assert.Equal((true, 1), (created.Created, created.ImagesAdded));
        Assert.Equal(1, added.ImagesAdded);
        Assert.Equal(upsert.Object, fetched.Object);
        Assert.Equal(2, fetched.Images.Count);
        Assert.Equal(["API-1"], found.Objects.Select(o => o.ObjectId));
        Assert.True(deleted.Deleted);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Upsert_OneBadImage_RefusesTheWholeObject()
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;
        var request = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "API-HALF" } };
        request.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFrom(File.ReadAllBytes(fixture.Objects[1].Image)) });
        request.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFromUtf8("garbage") });

        var error = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Service + "UpsertObject", request, Wire.UpsertObjectResponse.Parser));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("images[1]", error.Status.Detail);
        Assert.Null(fixture.Engine.RequireStore().Get("API-HALF"));
    }

    [Fact]
    public async Task Upsert_MissingIdOrBadDate_IsInvalidArgument()
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;

        var noId = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Service + "UpsertObject", new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject() }, Wire.UpsertObjectResponse.Parser));
        var badDate = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Service + "UpsertObject",
            new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "X", DateReported = "yesterday" } }, Wire.UpsertObjectResponse.Parser));

        Assert.Equal(StatusCode.InvalidArgument, noId.StatusCode);
        Assert.Contains("object_id", noId.Status.Detail);
        Assert.Contains("yesterday", badDate.Status.Detail);
    }

    [Fact]
    public async Task ScreenBatch_MixedPhotos_OneResultPerPhotoWithErrorsInline()
    {
        var (app, client) = await fixture.StartInProcessAsync();
        await using var _ = app;
        var items = fixture.Objects.Take(5).Select((o, i) => new Wire.ScreenItem { CallerId = $"p{i}", Photo = ByteString.CopyFrom(File.ReadAllBytes(o.Image)), TopK = 1 }).ToList();
        items.Add(new Wire.ScreenItem { CallerId = "bad", Photo = ByteString.CopyFromUtf8("nope") });

        var results = await client.CallAsync(Service + "ScreenBatch", items, Wire.ScreenResult.Parser);

        Assert.Equal(6, results.Count);
        for (int i = 0; i < 5; i++)
            Assert.Equal(fixture.Objects[i].Id, results.Single(r => r.CallerId == $"p{i}").Result.Candidates[0].Object.ObjectId);
        Assert.Equal((int)StatusCode.InvalidArgument, results.Single(r => r.CallerId == "bad").Error.Code);
    }

    [Fact]
    public async Task ApiKeys_RolesGateTheMethods()
    {
        var keysFile = Path.Combine(fixture.StoreDirectory, "keys.json");
        File.WriteAllText(keysFile, """
            {"keys": [
              {"key": "officer-key-0123456789", "name": "officer-1", "role": "officer"},
              {"key": "partner-key-0123456789", "name": "registry-1", "role": "partner"}
            ]}
            """);
        var (app, client) = await fixture.StartInProcessAsync(new ServerSettings { ApiKeysFile = keysFile });
        await using var _ = app;
        var photo = Photo(File.ReadAllBytes(fixture.Objects[2].Image));
        Dictionary<string, string> Key(string key) => new() { ["authorization"] = "Bearer " + key };
        var upsert = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "KEY-1" } };

        var none = await Assert.ThrowsAsync<RpcException>(() => MatchAsync(client, photo));
        var wrong = await Assert.ThrowsAsync<RpcException>(() => MatchAsync(client, photo, Key("not-a-key-0123456789")));
        var officerMatch = await MatchAsync(client, photo, Key("officer-key-0123456789"));
        var officerUpsert = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Service + "UpsertObject", upsert, Wire.UpsertObjectResponse.Parser, Key("officer-key-0123456789")));
        var partnerUpsert = await client.UnaryAsync(Service + "UpsertObject", upsert, Wire.UpsertObjectResponse.Parser, Key("partner-key-0123456789"));
        var partnerDelete = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(Service + "DeleteObject", new Wire.DeleteObjectRequest { ObjectId = "KEY-1" }, Wire.DeleteObjectResponse.Parser, Key("partner-key-0123456789")));

        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.NotEmpty(officerMatch.Candidates);
        Assert.Equal(StatusCode.PermissionDenied, officerUpsert.StatusCode);
        Assert.Contains("partner", officerUpsert.Status.Detail);
        Assert.True(partnerUpsert.Created);
        Assert.Equal(StatusCode.PermissionDenied, partnerDelete.StatusCode);
        var audit = ((ArtMatch.Storage.SqliteCatalogStore)fixture.Engine.RequireStore()).AuditLog(10);
        Assert.Contains(audit, e => e.Actor == "registry-1" && e.ObjectId == "KEY-1");
    }
}
