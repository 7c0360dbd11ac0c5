using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>The artmatch.v1 API through the generated client: answers, and every status with its message.</summary>
public sealed class ApiTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private Wire.MatchRequest Photo(int index, int top = 3) => new() { Photo = ByteString.CopyFrom(fixture.Photo(index)), TopK = top };

    [Fact]
    public async Task Match_PhotoOfCatalogueObject_RanksItFirstWithAVerdict()
    {
        await using var server = await fixture.StartInProcessAsync();
        var target = fixture.Objects[4];

        var response = await server.Client().MatchAsync(Photo(4));

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
    [InlineData("empty", "photo is empty: send the image bytes")]
    [InlineData("truncated", "damaged")]
    public async Task Match_BadPhoto_IsInvalidArgumentSayingWhy(string kind, string expected)
    {
        await using var server = await fixture.StartInProcessAsync();
        var jpeg = fixture.Photo(0);
        byte[] photo = kind switch { "text" => "not an image"u8.ToArray(), "empty" => [], _ => jpeg[..(jpeg.Length / 3)] };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(photo) }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail);
        Assert.NotEmpty((await server.Client().MatchAsync(Photo(0))).Candidates);
    }

    [Fact]
    public async Task Match_TopKTooLarge_IsInvalidArgument()
    {
        await using var server = await fixture.StartInProcessAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().MatchAsync(Photo(0, top: 500)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("top_k must be between 1 and 50 (0 means 5).", error.Status.Detail);
    }

    [Fact]
    public async Task Match_MessageOverServerLimit_IsResourceExhausted()
    {
        await using var server = await fixture.StartInProcessAsync(new ServerSettings { MaxMessageBytes = 100_000 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            server.Client().MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(new byte[200_000]) }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("exceeds the maximum", error.Status.Detail);
    }

    [Fact]
    public async Task GetObject_Unknown_IsNotFoundNamingTheId()
    {
        await using var server = await fixture.StartInProcessAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().GetObjectAsync(new Wire.GetObjectRequest { ObjectId = "NO-SUCH" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("No object 'NO-SUCH' in the catalogue.", error.Status.Detail);
    }

    [Fact]
    public async Task AddImages_UnknownObject_IsNotFound()
    {
        await using var server = await fixture.StartInProcessAsync();
        var request = new Wire.AddImagesRequest { ObjectId = "NO-SUCH", Images = { new Wire.ImageUpload { Data = ByteString.CopyFrom(fixture.Photo(1)) } } };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().AddImagesAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("No object 'NO-SUCH' in the catalogue.", error.Status.Detail);
    }

    [Fact]
    public async Task Catalogue_UpsertGetSearchAddDelete_RoundTrip()
    {
        await using var server = await fixture.StartInProcessAsync();
        var client = server.Client();
        var upsert = new Wire.UpsertObjectRequest
        {
            Object = new Wire.CulturalObject
            {
                ObjectId = "API-1", Title = "Reliquary", Maker = "Hugo d'Oignies", InscriptionsAndMarkings = "HVGO ME FECIT",
                Status = Wire.ObjectStatus.Stolen, Registry = "API-TEST", DateReported = "2025-02-01",
            },
        };
        upsert.Object.Extra["case"] = "77";
        upsert.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFrom(fixture.Photo(20)), Label = "front" });

        var created = await client.UpsertObjectAsync(upsert);
        var added = await client.AddImagesAsync(new Wire.AddImagesRequest { ObjectId = "API-1", Images = { new Wire.ImageUpload { Data = ByteString.CopyFrom(fixture.Photo(21)) } } });
        var fetched = await client.GetObjectAsync(new Wire.GetObjectRequest { ObjectId = "API-1" });
        var found = await client.SearchObjectsAsync(new Wire.SearchObjectsRequest { Text = "fecit" });
        var deleted = await client.DeleteObjectAsync(new Wire.DeleteObjectRequest { ObjectId = "API-1" });
        var deletedAgain = await Assert.ThrowsAsync<RpcException>(() => client.DeleteObjectAsync(new Wire.DeleteObjectRequest { ObjectId = "API-1" }).ResponseAsync);

        Assert.Equal((true, 1), (created.Created, created.ImagesAdded));
        Assert.Equal(1, added.ImagesAdded);
        Assert.Equal(upsert.Object, fetched.Object);
        Assert.Equal(2, fetched.Images.Count);
        Assert.Equal(["API-1"], found.Objects.Select(o => o.ObjectId));
        Assert.True(deleted.Deleted);
        Assert.Equal(StatusCode.NotFound, deletedAgain.StatusCode);
    }

    [Fact]
    public async Task Upsert_OneBadImage_RefusesTheWholeObject()
    {
        await using var server = await fixture.StartInProcessAsync();
        var request = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "API-HALF" } };
        request.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFrom(fixture.Photo(1)) });
        request.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFromUtf8("garbage") });

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().UpsertObjectAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("images[1]: ", error.Status.Detail);
        Assert.Null(fixture.Engine.RequireStore().Get("API-HALF"));
    }

    [Fact]
    public async Task Upsert_MissingIdOrBadDate_IsInvalidArgument()
    {
        await using var server = await fixture.StartInProcessAsync();
        var client = server.Client();

        var noId = await Assert.ThrowsAsync<RpcException>(() => client.UpsertObjectAsync(new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject() }).ResponseAsync);
        var badDate = await Assert.ThrowsAsync<RpcException>(() =>
            client.UpsertObjectAsync(new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = "X", DateReported = "yesterday" } }).ResponseAsync);
        var noObject = await Assert.ThrowsAsync<RpcException>(() => client.UpsertObjectAsync(new Wire.UpsertObjectRequest()).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "object.object_id is required."), (noId.StatusCode, noId.Status.Detail));
        Assert.Equal("object.date_reported 'yesterday' is not a date like 2024-05-31.", badDate.Status.Detail);
        Assert.Equal((StatusCode.InvalidArgument, "object is required."), (noObject.StatusCode, noObject.Status.Detail));
    }

    [Fact]
    public async Task SearchObjects_LimitOutOfRange_IsInvalidArgument()
    {
        await using var server = await fixture.StartInProcessAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client().SearchObjectsAsync(new Wire.SearchObjectsRequest { Limit = 501 }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "limit must be between 1 and 500 (0 means 20)."), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task ScreenBatch_MixedPhotos_OneResultPerPhotoWithErrorsInline()
    {
        await using var server = await fixture.StartInProcessAsync();
        using var call = server.Client().ScreenBatch();

        for (int i = 0; i < 5; i++)
            await call.RequestStream.WriteAsync(new Wire.ScreenItem { CallerId = $"p{i}", Photo = ByteString.CopyFrom(fixture.Photo(i)), TopK = 1 });
        await call.RequestStream.WriteAsync(new Wire.ScreenItem { CallerId = "bad", Photo = ByteString.CopyFromUtf8("nope") });
        await call.RequestStream.WriteAsync(new Wire.ScreenItem { CallerId = "top", Photo = ByteString.CopyFrom(fixture.Photo(0)), TopK = 99 });
        await call.RequestStream.CompleteAsync();
        var results = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(7, results.Count);
        for (int i = 0; i < 5; i++)
            Assert.Equal(fixture.Objects[i].Id, results.Single(r => r.CallerId == $"p{i}").Result.Candidates[0].Object.ObjectId);
        var bad = results.Single(r => r.CallerId == "bad").Error;
        Assert.Equal((int)StatusCode.InvalidArgument, bad.Code);
        Assert.Contains("Not a supported image", bad.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, results.Single(r => r.CallerId == "top").Error.Code);
    }
}
