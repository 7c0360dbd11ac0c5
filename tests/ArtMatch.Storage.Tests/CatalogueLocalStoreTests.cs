using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Storage.Tests;

/// <summary>What verification reads of each image, kept in the store (schema 8): written with the image, read back exactly.</summary>
public class CatalogueLocalStoreTests
{
    private const int Dim = 8;

    private static CatalogueLocal Local(int seed)
    {
        var random = new Random(seed);
        int grid = 3 * 2;
        var vectors = Enumerable.Range(0, grid * 16).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var positions = Enumerable.Range(0, grid).SelectMany(c => new[] { (c % 3 + 0.5f) / 3, (c / 3 + 0.5f) / 2 }).ToArray();
        var thumbnail = new RgbImage(5, 4, Enumerable.Range(0, 60).Select(_ => (byte)random.Next(256)).ToArray());
        return new CatalogueLocal(new LocalFeatures(3, 2, 16, vectors, positions), 300 + seed, 200, thumbnail) { Recipe = new(640, 320, 160) };
    }

    private static NewImage With(NewImage image, CatalogueLocal local) =>
        new(image.Encoded, image.Label, image.Width, image.Height, image.Vectors) { Local = local };

    [Fact]
    public void Upsert_WithLocalFeatures_ReadsThemBackBitForBitAfterReopening_DeleteRemovesThem()
    {
        using var temp = new TempStore();
        var random = new Random(1);
        var a = With(TempStore.Image(random, "a", dim: Dim), Local(1));
        var plain = TempStore.Image(random, "plain", dim: Dim);
        using (var store = temp.Open(dim: Dim))
            store.Upsert(TempStore.Record("A"), [a, plain]);

        using var reopened = temp.Open(dim: Dim);
        var back = reopened.GetCatalogueLocal(a.ImageId)!;
        var expected = a.Local!;
        Assert.Equal((expected.Width, expected.Height, expected.Recipe), (back.Width, back.Height, back.Recipe));
        Assert.Equal(expected.Features.Vectors, back.Features.Vectors);
        Assert.Equal(expected.Features.Positions, back.Features.Positions);
        Assert.Equal(expected.Thumbnail.Pixels, back.Thumbnail.Pixels);
        Assert.Null(reopened.GetCatalogueLocal(plain.ImageId));
        Assert.Equal([plain.ImageId], reopened.ImagesWithoutCatalogueLocal());

        Assert.True(reopened.SetCatalogueLocal(plain.ImageId, Local(2)));
        Assert.False(reopened.SetCatalogueLocal("no-such-image", Local(3)));
        Assert.Empty(reopened.ImagesWithoutCatalogueLocal());
        Assert.Equal(302, reopened.GetCatalogueLocal(plain.ImageId)!.Width);

        reopened.Delete("A");
        Assert.Null(reopened.GetCatalogueLocal(a.ImageId));
        using var raw = temp.Raw();
        Assert.Equal(0L, raw.Count("catalogue_local"));
    }

    [Fact]
    public void ReplaceEmbeddings_AnotherModel_IgnoresTheOldModelsLocalFeatures()
    {
        using var temp = new TempStore();
        var random = new Random(2);
        var a = With(TempStore.Image(random, "a", dim: Dim), Local(1));
        using var store = temp.Open(dim: Dim);
        store.Upsert(TempStore.Record("A"), [a]);

        store.ReplaceEmbeddings("other-model", Dim, [(a.ImageId, a.Vectors)]);

        Assert.Null(store.GetCatalogueLocal(a.ImageId));
        Assert.Equal([a.ImageId], store.ImagesWithoutCatalogueLocal());
        Assert.True(store.SetCatalogueLocal(a.ImageId, Local(4)));
        Assert.Equal(304, store.GetCatalogueLocal(a.ImageId)!.Width);
    }

    [Fact]
    public void Open_Version7Store_AddsTheTable_KeepingTheCatalogue()
    {
        using var temp = new TempStore();
        var random = new Random(3);
        var a = TempStore.Image(random, "a", dim: Dim);
        using (var store = temp.Open(dim: Dim))
            store.Upsert(TempStore.Record("A"), [a]);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE catalogue_local; PRAGMA user_version = 7;";
            command.ExecuteNonQuery();
        }

        using var upgraded = temp.Open(dim: Dim);

        Assert.Equal([a.ImageId], upgraded.ImagesWithoutCatalogueLocal());
        Assert.True(upgraded.SetCatalogueLocal(a.ImageId, Local(5)));
        Assert.Equal(a.ImageId, upgraded.Search(a.Vectors[0], 1, SearchFilter.None)[0].ImageId);
        using var check = temp.Raw();
        Assert.Equal(8L, check.Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void Codec_HalfPrecision_HalvesTheVectorsAndStaysClose_CutShortIsRefused()
    {
        var local = Local(6);
        var full = CatalogueLocalCodec.ToBytes(local);
        var half = CatalogueLocalCodec.ToBytes(local, halfPrecision: true);
        Assert.Equal(local.Features.Vectors.Length * 2, full.Length - half.Length);
        var back = CatalogueLocalCodec.FromBytes(half);
        Assert.All(local.Features.Vectors.Zip(back.Features.Vectors), p => Assert.InRange(p.Second - p.First, -1e-3f, 1e-3f));
        Assert.Throws<InvalidDataException>(() => CatalogueLocalCodec.FromBytes(full.AsSpan(0, full.Length - 1)));
    }
}
