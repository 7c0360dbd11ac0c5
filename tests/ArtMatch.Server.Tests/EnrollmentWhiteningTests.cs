using System.Diagnostics;
using System.Net;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Grpc;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;
using Google.Protobuf;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Tests;

/// <summary>A catalogue built only through the API (a partner enrolling objects one by one) still gets its whitening.</summary>
public sealed class EnrollmentWhiteningTests : IDisposable
{
    private const string Service = "/artmatch.v1.ArtMatch/";
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
        var app = ArtMatchServer.Build(engine, new ServerSettings(), builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        await using var _ = app;
        var http = app.GetTestServer().CreateClient();
        http.DefaultRequestVersion = HttpVersion.Version20;
        var client = new GrpcClient(http);
        var objects = File.ReadLines(RepoPaths.DevFile("catalog.csv")).Skip(1).Select(l => l.Split(','))
            .Select(p => (Id: p[0], Image: RepoPaths.DevFile(p[1]))).ToList();

        // Enough pictures for 2 vectors per dimension (about 31 vectors a picture), and a few more.
        int needed = Whitening.MinVectors(engine.Describer.Dimension) / 31 + 5;
        foreach (var (id, image) in objects.Take(needed))
        {
            var request = new Wire.UpsertObjectRequest { Object = new Wire.CulturalObject { ObjectId = id, Status = Wire.ObjectStatus.Stolen } };
            request.Images.Add(new Wire.ImageUpload { Data = ByteString.CopyFrom(File.ReadAllBytes(image)) });
            await client.UnaryAsync(Service + "UpsertObject", request, Wire.UpsertObjectResponse.Parser);
        }
        var clock = Stopwatch.StartNew();
        while (engine.RequireStore().Whitening is null && clock.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(200);

        var whitening = engine.RequireStore().Whitening;
        Assert.NotNull(whitening);
        Assert.True(whitening.LearnedFrom >= Whitening.MinVectors(engine.Describer.Dimension));
        var match = await client.UnaryAsync(Service + "Match", new Wire.MatchRequest { Photo = ByteString.CopyFrom(File.ReadAllBytes(objects[3].Image)), TopK = 3 }, Wire.MatchResponse.Parser);
        Assert.Equal(objects[3].Id, match.Candidates[0].Object.ObjectId);
        // Ranked in the whitened space now: for the runners-up the rank score is no longer the
        // calibrated score (for the catalogue picture itself both cosines are 1).
        Assert.All(match.Candidates.Skip(1), c => Assert.NotEqual(c.Score, c.RankScore));
    }
}
