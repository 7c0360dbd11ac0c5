using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Tests;

/// <summary>The whitening with the float rows kept (index.embedded.compact false): exact whitened scores. Compact rows: CompactIndexTests.</summary>
public class WhiteningTests
{
    private const int Dim = 16;

    /// <summary>Unit vectors that vary mostly along the first axes, as real embeddings share a few strong directions.</summary>
    private static float[] Skewed(Random random)
    {
        var v = new float[Dim];
        for (int i = 0; i < Dim; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1) * (i < 3 ? 1f : 0.1f);
        Pooling.L2Normalize(v);
        return v;
    }

    private static NewImage Image(Random random, string label, int vectors)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return new NewImage(bytes, label, 100, 100, Enumerable.Range(0, vectors).Select(_ => Skewed(random)).ToList());
    }

    private static List<ReferenceRow> Fill(SqliteCatalogStore store, Random random, int objects, int from = 0)
    {
        var rows = new List<ReferenceRow>();
        for (int o = from; o < from + objects; o++)
        {
            var image = Image(random, $"img-{o}", vectors: 2);
            store.Upsert(TempStore.Record($"obj-{o:D3}"), [image]);
            rows.AddRange(NaiveSearch.Rows($"obj-{o:D3}", [image]));
        }
        return rows;
    }

    /// <summary>Ranked by whitened cosine (image and region of the row that won); each hit's score its object's best plain cosine.</summary>
    private static void AssertWhitenedSearch(SqliteCatalogStore store, List<ReferenceRow> rows, float[] query, int k)
    {
        var whitening = store.Whitening!;
        var whitenedQuery = whitening.Apply(query);
        var whitenedRows = rows.Select(r => r with { Vector = whitening.Apply(r.Vector) }).ToList();
        var expected = NaiveSearch.TopK(whitenedRows, whitenedQuery, k);

        var actual = store.Search(query, k, SearchFilter.None);

        Assert.Equal(expected.Select(h => (h.ObjectId, h.ImageId, h.Region)), actual.Select(h => (h.ObjectId, h.ImageId, h.Region)));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].WhitenedScore!.Value, 1e-4f);
            float plain = rows.Where(r => r.ObjectId == actual[i].ObjectId).Max(r => TensorPrimitives.Dot(query, r.Vector));
            Assert.Equal(plain, actual[i].Score, 1e-5f);
        }
    }

    [Fact]
    public void RefreshWhitening_TooFewVectors_LearnsNothingAndSearchStaysPlain()
    {
        using var temp = new TempStore();
        using var store = temp.Open(compact: false, dim: Dim);
        var random = new Random(1);
        var rows = Fill(store, random, objects: Whitening.MinVectors(Dim) / 2 - 1);

        Assert.False(store.RefreshWhitening());

        Assert.Null(store.Whitening);
        var query = Skewed(random);
        var hits = store.Search(query, 5, SearchFilter.None);
        NaiveSearch.AssertSame(NaiveSearch.TopK(rows, query, 5), hits);
        Assert.All(hits, h => Assert.Null(h.WhitenedScore));
    }

    [Fact]
    public void RefreshWhitening_EnoughVectors_RanksByWhitenedCosineAndReportsPlainScores()
    {
        using var temp = new TempStore();
        using var store = temp.Open(compact: false, dim: Dim);
        var random = new Random(2);
        var rows = Fill(store, random, objects: 60);

        Assert.True(store.RefreshWhitening());

        Assert.Equal(120, store.Whitening!.LearnedFrom);
        for (int q = 0; q < 5; q++)
            AssertWhitenedSearch(store, rows, Skewed(random), k: 8);
        var many = store.SearchMany([rows[7].Vector, rows[30].Vector], 3, SearchFilter.None);
        Assert.Equal(rows[7].ObjectId, many[0][0].ObjectId);
        Assert.Equal(rows[30].ObjectId, many[1][0].ObjectId);
        Assert.Equal(1f, many[0][0].WhitenedScore!.Value, 1e-4f);
    }

    [Fact]
    public void Whitening_IsKeptAcrossReopenAndAppliedToLaterWrites()
    {
        using var temp = new TempStore();
        var random = new Random(3);
        List<ReferenceRow> rows;
        using (var store = temp.Open(compact: false, dim: Dim))
        {
            rows = Fill(store, random, objects: 40);
            Assert.True(store.RefreshWhitening());
        }

        using (var reopened = temp.Open(compact: false, dim: Dim))
        {
            Assert.Equal(80, reopened.Whitening!.LearnedFrom);
            rows.AddRange(Fill(reopened, random, objects: 5, from: 40));   // whitened with the stored transform
            AssertWhitenedSearch(reopened, rows, rows[^1].Vector, k: 6);
            Assert.Equal(rows[^1].ObjectId, reopened.Search(rows[^1].Vector, 1, SearchFilter.None)[0].ObjectId);
        }
        using var raw = temp.Raw();
        Assert.Equal(1L, raw.Count("whitening"));
        Assert.Equal(1L, raw.Scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'whiten'"));
    }

    [Fact]
    public void ScoreObjects_WithWhitening_ReportsBestPlainAndWhitenedCosineAndTheWhitenedWinningRow()
    {
        using var temp = new TempStore();
        using var store = temp.Open(compact: false, dim: Dim);
        var random = new Random(7);
        var rows = Fill(store, random, objects: 40);
        Assert.True(store.RefreshWhitening());
        var whitening = store.Whitening!;
        var query = Skewed(random);
        string[] named = ["obj-007", "obj-031", "obj-000"];

        var hits = store.ScoreObjects(query, named);

        Assert.Equal(named, hits.Select(h => h.ObjectId));
        var whitenedQuery = whitening.Apply(query);
        foreach (var hit in hits)
        {
            var own = rows.Where(r => r.ObjectId == hit.ObjectId).ToList();
            var ranked = own.MaxBy(r => TensorPrimitives.Dot(whitenedQuery, whitening.Apply(r.Vector)))!;
            Assert.Equal((ranked.ImageId, ranked.Region), (hit.ImageId, hit.Region));
            Assert.Equal(TensorPrimitives.Dot(whitenedQuery, whitening.Apply(ranked.Vector)), hit.WhitenedScore!.Value, 1e-4f);
            Assert.Equal(own.Max(r => TensorPrimitives.Dot(query, r.Vector)), hit.Score, 1e-5f);
        }
    }

    [Fact]
    public void RefreshWhitening_FreshSkips_StaleOrForcedRelearns()
    {
        using var temp = new TempStore();
        using var store = temp.Open(compact: false, dim: Dim);
        var random = new Random(4);
        Fill(store, random, objects: 40);
        Assert.True(store.RefreshWhitening());

        Fill(store, random, objects: 5, from: 40);   // 80 -> 90 vectors: within a quarter
        Assert.False(store.RefreshWhitening());
        Fill(store, random, objects: 20, from: 45);  // 130 vectors: more than a quarter since learning
        Assert.True(store.RefreshWhitening());
        Assert.Equal(130, store.Whitening!.LearnedFrom);
        Assert.True(store.RefreshWhitening(staleShare: 0));
    }

    [Fact]
    public void Delete_ManyObjectsAfterWhitening_CompactionKeepsWhitenedRowsAligned()
    {
        using var temp = new TempStore();
        using var store = temp.Open(compact: false, dim: Dim);
        var random = new Random(5);
        var rows = Fill(store, random, objects: 60);
        Assert.True(store.RefreshWhitening());

        foreach (var id in rows.Select(r => r.ObjectId).Distinct().Where((_, i) => i % 2 == 0).ToList())
        {
            Assert.True(store.Delete(id));
            rows.RemoveAll(r => r.ObjectId == id);
        }

        for (int q = 0; q < 3; q++)
            AssertWhitenedSearch(store, rows, Skewed(random), k: 5);
    }

    [Fact]
    public void ReplaceEmbeddings_DropsTheWhiteningLearnedFromTheOldVectors()
    {
        using var temp = new TempStore();
        using var store = temp.Open(compact: false, dim: Dim);
        var random = new Random(6);
        var rows = Fill(store, random, objects: 40);
        Assert.True(store.RefreshWhitening());

        store.ReplaceEmbeddings("other-model", Dim, rows.GroupBy(r => r.ImageId).Select(g => (g.Key, (IReadOnlyList<float[]>)g.Select(r => r.Vector).ToList())));

        Assert.Null(store.Whitening);
        using var raw = temp.Raw();
        Assert.Equal(0L, raw.Count("whitening"));
    }
}
