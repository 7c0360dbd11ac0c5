using System.Diagnostics;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using Google.Protobuf;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>A catalogue built only through the API (a partner enrolling objects one by one) still gets its whitening.</summary>
public sealed class EnrollmentWhiteningTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("artmatch-enrol-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task UpsertObject_CatalogueGrowsPastTheMinimum_WhiteningIsLearnedInTheBackground()
    {
        using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store);
        await using var server = await InProcessServer.StartAsync(engine, new ServerSettings());
        var client = server.Client();
        var objects = EngineFixture.DevObjects(int.MaxValue);

        // Enough pictures for 2 vectors per dimension (about 31 vectors a picture), and a few more.
        int needed = Whitening.MinVectors(engine.Describer.Dimension) / 31 + 5;
        foreach (var (id, image) in objects.Take(needed))
        {
            var request = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = id, Status = Wire.ObjectStatus.Stolen } };
            request.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFrom(File.ReadAllBytes(image)) });
            await client.UpsertObjectAsync(request);
        }
        // Waits for the background learning; the limit only guards against a hang (a slow or loaded
        // machine learns it late, never wrongly).
        var clock = Stopwatch.StartNew();
        while (engine.RequireStore().Whitening is null && clock.Elapsed < TimeSpan.FromMinutes(10))
            await Task.Delay(200);

        var whitening = engine.RequireStore().Whitening;
        Assert.NotNull(whitening);
        Assert.True(whitening.LearnedFrom >= Whitening.MinVectors(engine.Describer.Dimension));
        var match = await client.MatchAsync(new Wire.MatchRequest { Photo = ByteString.CopyFrom(File.ReadAllBytes(objects[3].Image)), TopK = 3 });
        Assert.Equal(objects[3].Id, match.Candidates[0].Object.ObjectId);
        // Ranked in the whitened space now: for the runners-up the rank score is no longer the
        // calibrated score (for the catalogue picture itself both cosines are 1).
        Assert.All(match.Candidates.Skip(1), c => Assert.NotEqual(c.Score, c.RankScore));
    }
}
