using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

/// <summary>Compact rows (whitened, 512 dimensions, int8): the kernel, ranking against the exact float search, and the store's plain scores.</summary>
public class CompactIndexTests
{
    [Theory]
    [InlineData(512)]
    [InlineData(37)]
    [InlineData(96)]
    public void Int8Dot_RandomCodes_EqualsScalarReference(int dim)
    {
        var random = new Random(dim);
        var query = Enumerable.Range(0, dim).Select(_ => (short)random.Next(-32767, 32768)).ToArray();
        var row = Enumerable.Range(0, dim).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        Assert.Equal(Int8Kernels.DotScalar(query, row), Int8Kernels.Dot(query, ref row[0]));
    }

    /// <summary>Clustered vectors: 60 centres, each object a centre plus noise, as pictures of a few kinds.</summary>
    private static List<float[]> Clustered(Random random, int count, int dim)
    {
        var centres = Enumerable.Range(0, 60).Select(_ => TempStore.UnitVector(random, dim)).ToList();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var v = (float[])centres[random.Next(centres.Count)].Clone();
            var noise = TempStore.UnitVector(random, dim);
            TensorPrimitives.MultiplyAdd(noise, 0.6f, v, v);
            Pooling.L2Normalize(v);
            return v;
        }).ToList();
    }

    [Fact]
    public void CompactSearch_NoisyQueries_FindsWhatTheExactWhitenedSearchFinds()
    {
        const int Dim = 600;   // more than the 512 kept, so the projection drops directions too
        var random = new Random(50);
        var vectors = Clustered(random, 1500, Dim);
        var exact = new VectorIndex(Dim);
        var compact = new VectorIndex(Dim);
        for (int i = 0; i < vectors.Count; i++)
        {
            foreach (var index in new[] { exact, compact })
            {
                index.SetObject(new CulturalObject { ObjectId = $"o{i:D4}" });
                index.AddImage($"o{i:D4}", $"i{i}", [vectors[i]]);
            }
        }
        var whitening = Whitening.Learn(exact.LiveRows(), Dim);
        exact.SetWhitening(whitening, exact.WhitenRows(whitening));
        compact.MakeCompact(whitening);
        Assert.True(compact.IsCompact);
        Assert.True(compact.RowBytes * 4 < exact.RowBytes, $"{compact.RowBytes} bytes compact, {exact.RowBytes} float");

        int same = 0, queries = 100;
        for (int q = 0; q < queries; q++)
        {
            var query = (float[])vectors[random.Next(vectors.Count)].Clone();
            TensorPrimitives.MultiplyAdd(TempStore.UnitVector(random, Dim), 0.3f, query, query);
            Pooling.L2Normalize(query);
            var expected = exact.Search(query, 1, SearchFilter.None)[0];
            var actual = compact.Search(query, 1, SearchFilter.None)[0];
            same += expected.ObjectId == actual.ObjectId ? 1 : 0;
            Assert.Equal(actual.Score, actual.WhitenedScore);
        }
        Assert.True(same >= 97, $"{same} of {queries} top hits as the exact whitened search");
    }

    [Fact]
    public void CompactSearchMany_ManyQueries_GivesEachQuerysOwnSearch()
    {
        // A photo's regions are searched together and projected in blocks of queries: more than one
        // block here, and each query's hits and scores must be those of searching it alone.
        const int Dim = 600;
        var random = new Random(51);
        var vectors = Clustered(random, 1500, Dim);
        var compact = new VectorIndex(Dim);
        for (int i = 0; i < vectors.Count; i++)
        {
            compact.SetObject(new CulturalObject { ObjectId = $"o{i:D4}" });
            compact.AddImage($"o{i:D4}", $"i{i}", [vectors[i]]);
        }
        compact.MakeCompact(Whitening.Learn(compact.LiveRows(), Dim));
        var queries = Enumerable.Range(0, 110).Select(_ =>
        {
            var query = (float[])vectors[random.Next(vectors.Count)].Clone();
            TensorPrimitives.MultiplyAdd(TempStore.UnitVector(random, Dim), 0.3f, query, query);
            Pooling.L2Normalize(query);
            return query;
        }).ToList();
        var together = compact.SearchMany(queries, 10, SearchFilter.None);
        for (int q = 0; q < queries.Count; q++)
        {
            var alone = compact.Search(queries[q], 10, SearchFilter.None);
            Assert.Equal(alone.Select(h => (h.ObjectId, h.ImageId, h.Score)), together[q].Select(h => (h.ObjectId, h.ImageId, h.Score)));
        }
        Assert.True(together.Count(hits => hits.Count == 10) == queries.Count);
    }

    [Fact]
    public void Store_Compact_PlainScoresExactAfterReopenAndDeleteAndRelearn()
    {
        const int Dim = 64;
        using var temp = new TempStore();
        var random = new Random(51);
        var vectors = Clustered(random, 200, Dim);
        var rows = new List<ReferenceRow>();
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            for (int o = 0; o < 100; o++)
            {
                var image = new NewImage(BitConverter.GetBytes(o), $"img-{o}", 10, 10, [vectors[2 * o], vectors[2 * o + 1]]);
                store.Upsert(TempStore.Record($"obj-{o:D3}"), [image]);
                rows.AddRange(NaiveSearch.Rows($"obj-{o:D3}", [image]));
            }
            Assert.True(store.RefreshWhitening(0));
        }
        using (var store = temp.Open(compact: true, dim: Dim))
        {
            Assert.NotNull(store.Whitening);
            var query = vectors[17];
            var hits = store.Search(query, 5, SearchFilter.None);
            Assert.Equal("obj-008", hits[0].ObjectId);
            foreach (var hit in hits)
            {
                float plain = rows.Where(r => r.ObjectId == hit.ObjectId).Max(r => TensorPrimitives.Dot(query, r.Vector));
                Assert.Equal(plain, hit.Score, 1e-5f);
                Assert.NotNull(hit.WhitenedScore);
            }
            var scored = Assert.Single(store.ScoreObjects(query, ["obj-008"]));
            Assert.Equal(1f, scored.Score, 1e-5f);

            Assert.True(store.Delete("obj-008"));
            Assert.DoesNotContain(store.Search(query, 5, SearchFilter.None), h => h.ObjectId == "obj-008");
            Assert.True(store.RefreshWhitening(0));
            Assert.Equal(198, store.VectorCount);
            Assert.Equal("obj-009", store.Search(vectors[18], 1, SearchFilter.None)[0].ObjectId);
        }
    }

    [Fact]
    public void Store_Compact_PlainRowsKeptBetweenSearches_ForgottenWhenAnObjectGainsAPicture()
    {
        const int Dim = 64;
        using var temp = new TempStore();
        var random = new Random(52);
        var vectors = Clustered(random, 200, Dim);
        using var store = temp.Open(compact: true, dim: Dim);
        for (int o = 0; o < 100; o++)
            store.Upsert(TempStore.Record($"obj-{o:D3}"), [new NewImage(BitConverter.GetBytes(o), $"img-{o}", 10, 10, [vectors[2 * o], vectors[2 * o + 1]])]);
        Assert.True(store.RefreshWhitening(0));
        var query = (float[])vectors[17].Clone();
        TensorPrimitives.MultiplyAdd(TempStore.UnitVector(random, Dim), 0.5f, query, query);
        Pooling.L2Normalize(query);

        var first = store.Search(query, 5, SearchFilter.None);
        Assert.True(store.PlainRowsKept >= 5, $"{store.PlainRowsKept} objects' rows kept");
        var again = store.Search(query, 5, SearchFilter.None);
        Assert.Equal(first.Select(h => (h.ObjectId, h.Score)), again.Select(h => (h.ObjectId, h.Score)));
        var whole = store.SearchMany([query], 5, SearchFilter.None with { WholeImagesOnly = true })[0];
        Assert.Equal(whole.Select(h => (h.ObjectId, h.Score)), store.SearchMany([query], 5, SearchFilter.None with { WholeImagesOnly = true })[0].Select(h => (h.ObjectId, h.Score)));

        // A picture equal to the query added to the runner-up: its plain score must now be 1, not the kept rows' best.
        string runnerUp = first[1].ObjectId;
        store.Upsert(TempStore.Record(runnerUp), [new NewImage([1, 2, 3], "img-new", 10, 10, [query])]);
        Assert.Equal(0, store.PlainRowsKept);
        var after = store.Search(query, 5, SearchFilter.None);
        Assert.Equal(1f, after.Single(h => h.ObjectId == runnerUp).Score, 1e-5f);
    }
}

/// <summary>The inverted file over compact rows: learned in the background, kept through adds, deletes and compaction.</summary>
public class InvertedFileTests
{
    private const int Dim = 64;

    private static float[] Noisy(Random random, float[] vector, float noise)
    {
        var v = (float[])vector.Clone();
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(TempStore.UnitVector(random, Dim), noise, v, v);
        Pooling.L2Normalize(v);
        return v;
    }

    [Fact]
    public void Ivf_BuiltInBackground_FindsNoisyCopiesThroughAddsDeletesAndCompaction()
    {
        var random = new Random(60);
        var settings = new ArtMatch.Core.Configuration.EmbeddedIndexSettings { ApproximateAboveRows = 1500, Probes = 12 };
        using var index = new EmbeddedVectorIndex(Dim, settings);
        var vectors = new Dictionary<string, float[][]>();
        void Add(int o)
        {
            var rows = Enumerable.Range(0, 3).Select(_ => TempStore.UnitVector(random, Dim)).ToArray();
            vectors[$"o{o:D4}"] = rows;
            index.Upsert(new IndexedObject($"o{o:D4}", null, null, ObjectStatus.Stolen, null), [new IndexedImage($"i{o}", rows)]);
        }
        for (int o = 0; o < 800; o++)
            Add(o);
        Assert.True(index.Train(0));
        index.WaitForBackgroundWork();
        Assert.Null(index.BackgroundError);
        Assert.Contains("inverted file", index.Describe());

        int Found(IEnumerable<string> ids) => ids.Count(id =>
            index.Search(Noisy(random, vectors[id][random.Next(3)], 0.2f), 1, SearchFilter.None) is [var hit] && hit.ObjectId == id);
        var sample = vectors.Keys.Where((_, i) => i % 8 == 0).ToList();
        Assert.True(Found(sample) >= sample.Count * 0.95, $"{Found(sample)} of {sample.Count}");

        // The probes are a floor: a share of the lists scans more of them once it asks for more.
        int lists = index.IvfListCount;
        Assert.True(lists > 1, $"{lists} lists");
        Assert.Equal(Math.Min(lists, 12), index.ProbedLists);
        index.SetProbes(1, share: 0);
        Assert.Equal(1, index.ProbedLists);
        index.SetProbes(1, share: 1);
        Assert.Equal(lists, index.ProbedLists);
        Assert.Contains($"{lists} lists, {lists} probed", index.Describe());
        index.SetProbes(settings.Probes, settings.ProbedListShare);

        // A quarter and more deleted: the index compacts, the lists are filled again from the moved rows.
        var deleted = vectors.Keys.Where((_, i) => i % 3 == 0).ToList();
        foreach (var id in deleted)
            Assert.True(index.DeleteObject(id));
        Assert.Equal((800 - deleted.Count) * 3, index.RowCount);
        foreach (var id in deleted.Take(20))
            Assert.NotEqual(id, index.Search(vectors[id][0], 1, SearchFilter.None)[0].ObjectId);
        for (int o = 800; o < 900; o++)
            Add(o);
        var kept = vectors.Keys.Except(deleted).Where((_, i) => i % 6 == 0).Concat(Enumerable.Range(800, 100).Select(o => $"o{o:D4}")).ToList();
        Assert.True(Found(kept) >= kept.Count * 0.95, $"{Found(kept)} of {kept.Count}");
    }
}
