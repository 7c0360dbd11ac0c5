using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching.Stages;

namespace ArtMatch.Storage.Tests;

/// <summary>What verification reads of each image, kept in the store (schema 8, compact since 9): written with the image, read back within its codes.</summary>
public class CatalogueLocalStoreTests
{
    private const int Dim = 8;

    internal static CatalogueLocal Local(int seed)
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
    public void Upsert_WithLocalFeatures_ReadsThemBackAfterReopening_DeleteRemovesThem()
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
        AssertWithinCodes(expected, back);
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
        Assert.Equal(9L, check.Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void Codec_HalfPrecision_HalvesTheVectorsAndStaysClose_CutShortIsRefused()
    {
        var local = Local(6);
        var full = CatalogueLocalCodec.ToBytes(local, CatalogueLocalEncoding.Float32);
        var half = CatalogueLocalCodec.ToBytes(local, CatalogueLocalEncoding.Float16);
        Assert.Equal(local.Features.Vectors.Length * 2, full.Length - half.Length);
        var back = CatalogueLocalCodec.FromBytes(half);
        Assert.All(local.Features.Vectors.Zip(back.Features.Vectors), p => Assert.InRange(p.Second - p.First, -1e-3f, 1e-3f));
        Assert.Equal(local.Features.Vectors, CatalogueLocalCodec.FromBytes(full).Features.Vectors);
        Assert.False(CatalogueLocalCodec.IsCompact(full));
        Assert.Throws<InvalidDataException>(() => CatalogueLocalCodec.FromBytes(full.AsSpan(0, full.Length - 1)));
    }

    [Theory]
    [InlineData(false)]   // signed values: int8 codes
    [InlineData(true)]    // as after a ReLU, most of them zero: uint8 codes, zeros left out
    public void Codec_Compact_KeepsEachValueWithinHalfACode_TheThumbnailExactly_InASixthOfTheBytes(bool relu)
    {
        var local = relu ? Relu(7, grid: 8, dimension: 1280) : Local(7);
        var compact = CatalogueLocalCodec.ToBytes(local);
        Assert.True(CatalogueLocalCodec.IsCompact(compact));
        var back = CatalogueLocalCodec.FromBytes(compact);
        AssertWithinCodes(local, back);
        if (relu)
        {
            // Zeros stay zeros, and the bytes are well under a sixth of float32's (a smooth thumbnail, 60 % zeros).
            Assert.All(local.Features.Vectors.Zip(back.Features.Vectors), p => Assert.True(p.First != 0 || p.Second == 0));
            Assert.InRange(compact.Length, 1, CatalogueLocalCodec.ToBytes(local, CatalogueLocalEncoding.Float32).Length / 6);
        }
    }

    [Fact]
    public void Codec_CompactCutShortOrDamaged_IsRefused()
    {
        var compact = CatalogueLocalCodec.ToBytes(Relu(8, grid: 4, dimension: 64));
        Assert.Throws<InvalidDataException>(() => CatalogueLocalCodec.FromBytes(compact.AsSpan(0, compact.Length - 8)));
        var damaged = (byte[])compact.Clone();
        damaged[^20] ^= 0xFF;
        damaged[60] ^= 0x5A;
        Assert.Throws<InvalidDataException>(() => CatalogueLocalCodec.FromBytes(damaged));
        var longer = (byte[])compact.Clone();
        BitConverter.TryWriteBytes(longer.AsSpan(8 + 4 * 9), 1);   // a thumbnail one row high: the block is longer than that
        Assert.Throws<InvalidDataException>(() => CatalogueLocalCodec.FromBytes(longer));
    }

    /// <summary>Cells as the model makes them: unit vectors of non-negative values, about 60 % zeros; a smooth thumbnail.</summary>
    internal static CatalogueLocal Relu(int seed, int grid, int dimension)
    {
        var random = new Random(seed);
        var vectors = new float[grid * grid * dimension];
        for (int cell = 0; cell < grid * grid; cell++)
        {
            var vector = vectors.AsSpan(cell * dimension, dimension);
            for (int i = 0; i < dimension; i++)
                vector[i] = random.NextDouble() < 0.6 ? 0 : (float)Math.Pow(random.NextDouble(), 3);
            ArtMatch.Core.Embedding.Pooling.L2Normalize(vector);
        }
        var positions = Enumerable.Range(0, grid * grid).SelectMany(c => new[] { (c % grid + 0.5f) / grid, (c / grid + 0.5f) / grid }).ToArray();
        var pixels = new byte[40 * 30 * 3];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(i / 3 % 40 * 3 + i / 120 * 2 + i % 3 * 20 + random.Next(4));
        return new CatalogueLocal(new LocalFeatures(grid, grid, dimension, vectors, positions), 640, 480, new RgbImage(40, 30, pixels)) { Recipe = new(640, 320, 160) };
    }

    /// <summary>Sizes, recipe, positions and thumbnail exactly; each value within half a code step of its cell (1/255 or 1/127 of its largest).</summary>
    internal static void AssertWithinCodes(CatalogueLocal expected, CatalogueLocal actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Recipe), (actual.Width, actual.Height, actual.Recipe));
        var (e, a) = (expected.Features, actual.Features);
        Assert.Equal((e.GridWidth, e.GridHeight, e.Dimension), (a.GridWidth, a.GridHeight, a.Dimension));
        Assert.Equal(e.Positions, a.Positions);
        Assert.Equal((expected.Thumbnail.Width, expected.Thumbnail.Height), (actual.Thumbnail.Width, actual.Thumbnail.Height));
        Assert.Equal(expected.Thumbnail.Pixels, actual.Thumbnail.Pixels);
        float levels = e.Vectors.Min() < 0 ? 127 : 255;
        for (int cell = 0; cell < e.Count; cell++)
        {
            float step = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(e.Vector(cell)) is var m ? Math.Abs(m) / levels : 0;
            for (int i = 0; i < e.Dimension; i++)
                Assert.InRange(a.Vector(cell)[i] - e.Vector(cell)[i], -0.5001f * step - 1e-7f, 0.5001f * step + 1e-7f);
        }
    }
}
