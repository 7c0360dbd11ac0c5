using ArtMatch.Core.Configuration;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>
/// What verification reads of a catalogue picture, stored at import (real model, SQLite): compact, each
/// cell value within half a code step of the picture decoded and described afresh (a step is 1/255 of
/// the cell's largest value), the thumbnail the same to the byte.
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
    public void Import_StoresLocalFeatures_WithinACodeOfTheOnesDescribedFromTheBytes_AndBackfillMakesTheSame()
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

    [Fact]
    public void Open_StoreOfSchema8_ReadsItsFloat32Rows_BackfillReencodesThemCompact()
    {
        var entries = CatalogFile.Read(RepoPaths.DevFile("catalog.csv")).Skip(4).Take(2).ToList();
        var fresh = new Dictionary<string, CatalogueLocal>();
        using (var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store))
        {
            Assert.Empty(engine.Importer!.Import(entries).Failures);
            var cold = new CataloguePictureCache(engine.Describer, engine.RequireStore());
            foreach (var entry in entries)
            {
                var imageId = engine.RequireStore().GetImages(entry.Record!.ObjectId)[0].ImageId;
                fresh[imageId] = cold.LoadFromBytes(imageId)!;
            }
        }
        // As schema 8 wrote them: float32, the numbers described afresh.
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(_store, "catalog.db")}"))
        {
            raw.Open();
            foreach (var (imageId, local) in fresh)
            {
                using var update = raw.CreateCommand();
                update.CommandText = "UPDATE catalogue_local SET data = $data WHERE image_id = $id";
                update.Parameters.AddWithValue("$data", CatalogueLocalCodec.ToBytes(local, CatalogueLocalEncoding.Float32));
                update.Parameters.AddWithValue("$id", imageId);
                update.ExecuteNonQuery();
            }
            using var downgrade = raw.CreateCommand();
            downgrade.CommandText = "DROP TABLE catalogue_local_recode; PRAGMA user_version = 8;";
            downgrade.ExecuteNonQuery();
        }
        using (var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(_store))
        {
            var store = engine.RequireStore();
            Assert.Equal(fresh.Count, store.CatalogueLocalToRecode());
            foreach (var (imageId, local) in fresh)
                Assert.Equal(local.Features.Vectors, store.GetCatalogueLocal(imageId)!.Features.Vectors);
            Assert.Equal(0, engine.Importer!.BackfillCatalogueLocal());   // nothing missing; the rows re-encoded on the way
            Assert.Equal(0, store.CatalogueLocalToRecode());
            foreach (var (imageId, local) in fresh)
                AssertSame(local, store.GetCatalogueLocal(imageId)!);
        }
    }

    private static void AssertSame(CatalogueLocal expected, CatalogueLocal actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Recipe), (actual.Width, actual.Height, actual.Recipe));
        Assert.Equal((expected.Features.GridWidth, expected.Features.GridHeight, expected.Features.Dimension),
            (actual.Features.GridWidth, actual.Features.GridHeight, actual.Features.Dimension));
        var (e, a) = (expected.Features, actual.Features);
        Assert.True(System.Numerics.Tensors.TensorPrimitives.Min(e.Vectors) >= 0, "the model made a negative value");
        for (int cell = 0; cell < e.Count; cell++)
        {
            // The model's cells are never negative (ReLU): unsigned codes, 255 steps of the cell's largest value.
            float step = System.Numerics.Tensors.TensorPrimitives.Max(e.Vector(cell)) / 255;
            for (int i = 0; i < e.Dimension; i++)
                Assert.InRange(a.Vector(cell)[i] - e.Vector(cell)[i], -0.5001f * step - 1e-7f, 0.5001f * step + 1e-7f);
        }
        Assert.True(expected.Features.Positions.AsSpan().SequenceEqual(actual.Features.Positions), "cell positions differ");
        Assert.Equal((expected.Thumbnail.Width, expected.Thumbnail.Height), (actual.Thumbnail.Width, actual.Thumbnail.Height));
        Assert.Equal(expected.Thumbnail.Pixels, actual.Thumbnail.Pixels);
        Assert.Contains(actual.Features.Vectors, v => v != 0);
    }
}
