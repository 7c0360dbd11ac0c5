using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Qdrant.Internal;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Tests;

/// <summary>The store's operations as the messages Qdrant.Client puts on the wire (recorded by <see cref="FakeQdrant"/>).</summary>
public class QdrantRequestMappingTests
{
    private const int Dim = 4;
    private const string Model = "mobilenetv2-12-int8";
    private static readonly string Collection = CollectionNames.For(Model, Dim);

    private static (FakeQdrant Server, QdrantVectorIndex Index) Open(VectorIndexSettings? settings = null)
    {
        var server = new FakeQdrant();
        var index = QdrantVectorIndex.Open(server, Collection, Model, Dim, settings ?? new VectorIndexSettings());
        return (server, index);
    }

    private static readonly IndexedObject Coin = new("OBJ-1", "INTERPOL", "Coin", ObjectStatus.Stolen, "FR");

    private static string Condition(Condition c) => c.Field.Match.MatchValueCase switch
    {
        Match.MatchValueOneofCase.Keyword => $"{c.Field.Key}={c.Field.Match.Keyword}",
        Match.MatchValueOneofCase.Keywords => $"{c.Field.Key} in [{string.Join(",", c.Field.Match.Keywords.Strings)}]",
        _ => c.ToString(),
    };

    private static string[] Conditions(Filter? filter) => filter?.Must.Select(Condition).ToArray() ?? [];

    [Fact]
    public void Open_NewCollection_CreatedWithCosineInt8RescoreHnswAndPayloadIndexes()
    {
        var settings = new VectorIndexSettings { Shards = 3, ReplicationFactor = 2, WriteConsistencyFactor = 2, HnswM = 24, HnswEfConstruct = 200 };
        var (server, index) = Open(settings);
        using var _ = index;

        var create = server.Requests<CreateCollection>().Single();
        Assert.Equal("artmatch_mobilenetv2-12-int8_4d", create.CollectionName);
        Assert.Equal((4ul, Distance.Cosine, Memory.Cold), (create.VectorsConfig.Params.Size, create.VectorsConfig.Params.Distance, create.VectorsConfig.Params.Memory));
        Assert.Equal((3u, 2u, 2u), (create.ShardNumber, create.ReplicationFactor, create.WriteConsistencyFactor));
        Assert.Equal((24ul, 200ul, 24ul, 10_000ul), (create.HnswConfig.M, create.HnswConfig.EfConstruct, create.HnswConfig.PayloadM, create.HnswConfig.FullScanThreshold));
        var scalar = create.QuantizationConfig.Scalar;
        Assert.Equal((QuantizationType.Int8, 0.99f, Memory.Pinned), (scalar.Type, scalar.Quantile, scalar.Memory));
#pragma warning disable CS0612 // the deprecated flags older servers read
        Assert.True(scalar.AlwaysRam && create.VectorsConfig.Params.OnDisk && !create.OnDiskPayload);
#pragma warning restore CS0612
        Assert.Equal((Model, 4L), (create.Metadata["artmatch_model"].StringValue, create.Metadata["artmatch_dimension"].IntegerValue));
        var indexes = server.Requests<CreateFieldIndexCollection>().ToList();
        Assert.Equal(["country", "image_id", "kind", "object_id", "object_type", "source", "status"], indexes.Select(i => i.FieldName).Order().ToArray());
        Assert.All(indexes, i => Assert.True(i.FieldType == FieldType.Keyword && i.Wait));
    }

    [Fact]
    public void Open_ExistingCollection_NotCreatedAgain()
    {
        var server = new FakeQdrant();
        QdrantVectorIndex.Open(server, Collection, Model, Dim, new VectorIndexSettings()).Dispose();
        server.ClearCalls();
        QdrantVectorIndex.Open(server, Collection, Model, Dim, new VectorIndexSettings()).Dispose();
        Assert.Empty(server.Requests<CreateCollection>());
        Assert.Empty(server.Requests<CreateFieldIndexCollection>());
    }

    [Fact]
    public void Upsert_TwoImages_PointPerRowWithPayloadDeterministicIdsAndWait()
    {
        var (server, index) = Open(new VectorIndexSettings { BatchSize = 2 });
        using var _ = index;
        server.ClearCalls();
        float[] v0 = [1, 0, 0, 0], v1 = [0, 1, 0, 0], v2 = [0, 0, 1, 0];
        index.Upsert(Coin, [new IndexedImage("img-a", [v0, v1]), new IndexedImage("img-b", [v2])]);

        var set = server.Requests<SetPayloadPoints>().Single();
        Assert.True(set.Wait);
        Assert.Equal(["object_id=OBJ-1"], Conditions(set.PointsSelector.Filter));
        Assert.Equal("source=interpol object_type=coin status=stolen country=fr",
            string.Join(" ", new[] { "source", "object_type", "status", "country" }.Select(k => $"{k}={set.Payload[k].StringValue}")));
        var upserts = server.Requests<UpsertPoints>().ToList();
        Assert.Equal([2, 1], upserts.Select(u => u.Points.Count));   // batches of BatchSize
        Assert.All(upserts, u => Assert.True(u.Wait && u.CollectionName == Collection));
        var points = upserts.SelectMany(u => u.Points).ToList();
        // Each image's whole-picture row last: when it is stored, the image's regions are too.
        Assert.Equal(new[] { v1, v0, v2 }, points.Select(p => p.Vectors.Vector.Dense.Data.ToArray()));
        var p1 = points[0].Payload;
        Assert.Equal(("OBJ-1", "img-a", 1L, "region"), (p1["object_id"].StringValue, p1["image_id"].StringValue, p1["region"].IntegerValue, p1["kind"].StringValue));
        Assert.Equal("whole", points[1].Payload["kind"].StringValue);
        Assert.Equal(PointIds.For(Model, "OBJ-1", "img-a", 1).ToString(), points[0].Id.Uuid);
        Assert.Equal(3, points.Select(p => p.Id.Uuid).Distinct().Count());
    }

    [Fact]
    public void PointIds_SameRow_SameUuid_AnyOtherPart_Differs()
    {
        var id = PointIds.For(Model, "O", "I", 0);
        Assert.Equal(id, PointIds.For(Model, "O", "I", 0));
        Assert.Equal('8', id.ToString()[14]);   // UUID version 8
        Assert.Equal(5, new[] { id, PointIds.For("other", "O", "I", 0), PointIds.For(Model, "O2", "I", 0), PointIds.For(Model, "O", "I2", 0), PointIds.For(Model, "O", "I", 1) }.Distinct().Count());
        Assert.NotEqual(PointIds.For(Model, "ab", "c", 0), PointIds.For(Model, "a", "bc", 0));
    }

    [Fact]
    public void Upsert_WrongDimension_SendsNothing()
    {
        var (server, index) = Open();
        using var _ = index;
        server.ClearCalls();
        Assert.Throws<ArgumentException>(() => index.Upsert(Coin, [new IndexedImage("ok", [[1, 0, 0, 0]]), new IndexedImage("bad", [[1, 0, 0]])]));
        Assert.Empty(server.Calls);
    }

    [Fact]
    public void SearchMany_GroupedQueryPerVector_ByObjectOneHitEachRescoredOnInt8()
    {
        var (server, index) = Open(new VectorIndexSettings { HnswEf = 300, Oversampling = 3 });
        using var _ = index;
        index.Upsert(Coin, [new IndexedImage("img-a", [[1, 0, 0, 0], [0, 1, 0, 0]])]);
        server.ClearCalls();

        var hits = index.SearchMany([[0, 1, 0, 0], [1, 0, 0, 0]], 7, SearchFilter.None);

        var queries = server.Requests<QueryPointGroups>().ToList();
        Assert.Equal(2, queries.Count);
        var q = queries.Single(r => r.Query.Nearest.Dense.Data[1] == 1);
        Assert.Equal((Collection, "object_id", 1ul, 7ul), (q.CollectionName, q.GroupBy, q.GroupSize, q.Limit));
        Assert.Null(q.Filter);
        Assert.Equal((300ul, false), (q.Params.HnswEf, q.Params.Exact));
        Assert.Equal((true, 3.0), (q.Params.Quantization.Rescore, q.Params.Quantization.Oversampling));
        Assert.Equal(["object_id", "image_id", "region"], q.WithPayload.Include.Fields);
        Assert.Equal(("OBJ-1", "img-a", 1), (hits[0][0].ObjectId, hits[0][0].ImageId, hits[0][0].Region));
        Assert.Equal(0, hits[1][0].Region);
        Assert.Null(hits[0][0].WhitenedScore);
    }

    public static TheoryData<string, string> Filters => new()
    {
        { "registry", "source in [interpol,icom]" },
        { "status", "status=red_list_exemplar" },
        { "type", "object_type=coin" },
        { "country", "country in [fr,it]" },
        { "whole", "kind=whole" },
        { "all", "source=icom|object_type=painting|country=iq|status in [stolen,missing]|kind=whole" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public void SearchMany_EachFilter_MustConditionsOnFoldedPayload(string which, string expected)
    {
        var (server, index) = Open();
        using var _ = index;
        server.ClearCalls();
        var filter = which switch
        {
            "registry" => new SearchFilter { Registries = ["INTERPOL", "icom", "Interpol"] },
            "status" => new SearchFilter { Statuses = [ObjectStatus.RedListExemplar] },
            "type" => new SearchFilter { ObjectTypes = [" Coin "] },
            "country" => new SearchFilter { Countries = ["FR", "it"] },
            "whole" => new SearchFilter { WholeImagesOnly = true },
            _ => new SearchFilter { Registries = ["ICOM"], ObjectTypes = ["painting"], Countries = ["IQ"], Statuses = [ObjectStatus.Stolen, ObjectStatus.Missing], WholeImagesOnly = true },
        };

        index.SearchMany([[1, 0, 0, 0]], 5, filter);

        Assert.Equal(expected, string.Join("|", Conditions(server.Requests<QueryPointGroups>().Single().Filter)));
    }

    [Fact]
    public void SearchMany_FilterWithNoUsableValue_NoRequestAndNoHits()
    {
        var (server, index) = Open();
        using var _ = index;
        server.ClearCalls();
        var hits = index.SearchMany([[1, 0, 0, 0]], 5, new SearchFilter { Countries = ["", " "] });
        Assert.Empty(hits[0]);
        Assert.Empty(server.Calls);
    }

    [Fact]
    public void ScoreObjects_ExactGroupedQueryOverTheNamedObjects()
    {
        var (server, index) = Open();
        using var _ = index;
        server.ClearCalls();
        index.ScoreObjects([1, 0, 0, 0], ["A", "B", "A"]);
        var q = server.Requests<QueryPointGroups>().Single();
        Assert.Equal(["object_id in [A,B]"], Conditions(q.Filter));
        Assert.True(q.Params.Exact);
        Assert.Equal(3ul, q.Limit);
    }

    [Fact]
    public void AllowedObjectIds_ExactFacetOnObjectIdBoundedByTheCount()
    {
        var (server, index) = Open();
        using var _ = index;
        index.Upsert(Coin, [new IndexedImage("a", [[1, 0, 0, 0], [0, 1, 0, 0]])]);
        server.ClearCalls();
        var allowed = index.AllowedObjectIds(new SearchFilter { Countries = ["FR"], WholeImagesOnly = true });
        var facet = server.Requests<FacetCounts>().Single();
        Assert.Equal(("object_id", true, 2ul), (facet.Key, facet.Exact, facet.Limit));
        Assert.Equal(["country=fr"], Conditions(facet.Filter));   // rows of every kind: the filter is about records
        Assert.Equal(["OBJ-1"], allowed!);
    }

    [Fact]
    public void DeleteObjectAndImage_FilterDeletesThatWait()
    {
        var (server, index) = Open();
        using var _ = index;
        index.Upsert(Coin, [new IndexedImage("a", [[1, 0, 0, 0]]), new IndexedImage("b", [[0, 1, 0, 0]])]);
        server.ClearCalls();

        Assert.True(index.DeleteImage("OBJ-1", "a"));
        Assert.True(index.DeleteObject("OBJ-1"));
        Assert.False(index.DeleteObject("OBJ-1"));

        var deletes = server.Requests<DeletePoints>().ToList();
        Assert.Equal(2, deletes.Count);   // the third found nothing to delete (count 0) and sent none
        Assert.All(deletes, d => Assert.True(d.Wait && d.CollectionName == Collection));
        Assert.Equal(["object_id=OBJ-1", "image_id=a"], Conditions(deletes[0].Points.Filter));
        Assert.Equal(["object_id=OBJ-1"], Conditions(deletes[1].Points.Filter));
    }

    [Fact]
    public void Contains_AsksForTheImagesFirstRowById()
    {
        var (server, index) = Open();
        using var _ = index;
        server.ClearCalls();
        Assert.False(index.Contains("O", "I"));
        var get = server.Requests<GetPoints>().Single();
        Assert.Equal(PointIds.For(Model, "O", "I", 0).ToString(), get.Ids.Single().Uuid);
        Assert.False(get.WithPayload.Enable || get.WithVectors.Enable);
    }

    [Fact]
    public void Train_LearnsNothing_RanksByPlainCosine()
    {
        var (_, index) = Open();
        using var __ = index;
        Assert.False(index.Train(0));
    }
}
