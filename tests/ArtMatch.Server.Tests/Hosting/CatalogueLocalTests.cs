using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>
/// What verification reads of a catalogue picture, stored at import (real model, SQLite): the same
/// numbers as the picture decoded and described afresh, so the verification's answers do not move.
/// </summary>
public sealed class CatalogueLocalTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("artmatch-catlocal-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public void Import_StoresLocalFeatures_EqualToTheOnesDescribedFromTheBytes_AndBackfillMakesTheSame()
    {
        var entries = CatalogFile.Read(RepoPaths.DevFile("catalog.csv")).Take(4).ToList();
        var ids = new List<string>();
        using (var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store))
        {
            Assert.Empty(engine.Importer!.Import(entries).Failures);
            var store = engine.RequireStore();
            Assert.Empty(store.ImagesWithoutCatalogueLocal());
            var cold = new CataloguePictureCache(engine.Describer, store);
            foreach (var entry in entries)
            {
                var imageId = store.GetImages(entry.Record!.ObjectId)[0].ImageId;
                ids.Add(imageId);
                AssertSame(cold.LoadFromBytes(imageId)!, store.GetCatalogueLocal(imageId)!);
            }
        }
        // A store written before they were kept (schema 7's rows): the backfill makes them, the same again.
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(_store, "catalog.db")}"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "DELETE FROM catalogue_local";
            command.ExecuteNonQuery();
        }
        using (var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store))
        {
            var store = engine.RequireStore();
            Assert.Equal(ids.Order(StringComparer.Ordinal), store.ImagesWithoutCatalogueLocal());
            Assert.Null(store.GetCatalogueLocal(ids[0]));
            Assert.Equal(ids.Count, engine.Importer!.BackfillCatalogueLocal());
            Assert.Empty(store.ImagesWithoutCatalogueLocal());
            var cold = new CataloguePictureCache(engine.Describer, store);
            foreach (var imageId in ids)
                AssertSame(cold.LoadFromBytes(imageId)!, store.GetCatalogueLocal(imageId)!);
            // And a photo of the first object verifies against it as before.
            var result = engine.RequireMatcher().Match(File.ReadAllBytes(entries[0].ImagePaths[0]), new MatchRequest { TopK = 3 });
            Assert.Equal(entries[0].Record!.ObjectId, result.Best?.ObjectId);
            Assert.True(result.Best!.Inliers > 0);
        }
    }

    private static void AssertSame(CatalogueLocal expected, CatalogueLocal actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Recipe), (actual.Width, actual.Height, actual.Recipe));
        Assert.Equal((expected.Features.GridWidth, expected.Features.GridHeight, expected.Features.Dimension),
            (actual.Features.GridWidth, actual.Features.GridHeight, actual.Features.Dimension));
        Assert.True(expected.Features.Vectors.AsSpan().SequenceEqual(actual.Features.Vectors), "cell vectors differ");
        Assert.True(expected.Features.Positions.AsSpan().SequenceEqual(actual.Features.Positions), "cell positions differ");
        Assert.Equal((expected.Thumbnail.Width, expected.Thumbnail.Height), (actual.Thumbnail.Width, actual.Thumbnail.Height));
        Assert.Equal(expected.Thumbnail.Pixels, actual.Thumbnail.Pixels);
        Assert.Contains(actual.Features.Vectors, v => v != 0);
    }
}
