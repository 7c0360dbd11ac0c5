using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Tests;

/// <summary>Opening a collection: refusal of another model's, the endpoint URL, failures as <see cref="VectorIndexException"/>.</summary>
public class QdrantIndexOpeningTests
{
    private static CreateCollection Existing(string name, ulong size, string? model)
    {
        var create = new CreateCollection { CollectionName = name, VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = size, Distance = Distance.Cosine } } };
        if (model is not null)
            create.Metadata.Add("artmatch_model", new Value { StringValue = model });
        return create;
    }

    [Theory]
    [InlineData(512ul, "mobilenetv2-12-int8", "holds 512-d vectors of mobilenetv2-12-int8")]
    [InlineData(1280ul, "dinov2-small", "holds 1280-d vectors of dinov2-small")]
    [InlineData(512ul, null, "holds 512-d vectors")]
    public void Open_CollectionOfAnotherModelOrDimension_RefusedWithWhatToDo(ulong size, string? model, string expected)
    {
        var server = new FakeQdrant();
        server.AddCollection(Existing("catalogue", size, model));

        var e = Assert.Throws<VectorIndexException>(() => QdrantVectorIndex.Open(server, "catalogue", "mobilenetv2-12-int8", 1280, new VectorIndexSettings()));

        Assert.Contains($"Qdrant collection catalogue {expected}, but this ArtMatch embeds 1280-d vectors of mobilenetv2-12-int8", e.Message);
        Assert.Contains("artmatch index export", e.Message);
        Assert.False(e.Unavailable);
        Assert.Empty(server.Requests<UpsertPoints>());
    }

    [Fact]
    public void OpenStore_CollectionOfAnotherModel_StoreRefusesToOpen()
    {
        // What `serve --index` does on start: the store opens its index first and fails before serving.
        var server = new FakeQdrant();
        server.AddCollection(Existing("shared", 512, "another-model"));
        var folder = Directory.CreateTempSubdirectory("artmatch-refuse-").FullName;
        try
        {
            var e = Assert.Throws<VectorIndexException>(() => SqliteCatalogStore.Open(folder, "mobilenetv2-12-int8", 1280,
                (model, dim) => QdrantVectorIndex.Open(server, "shared", model, dim, new VectorIndexSettings())));
            Assert.Contains("holds 512-d vectors of another-model", e.Message);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Search_ServerUnavailable_VectorIndexExceptionMarkedUnavailable()
    {
        var server = new FakeQdrant();
        using var index = QdrantVectorIndex.Open(server, "c", "m", 4, new VectorIndexSettings());
        server.FailOn = ("/qdrant.Points/QueryGroups", StatusCode.Unavailable);
        var e = Assert.Throws<VectorIndexException>(() => index.SearchMany([[1, 0, 0, 0], [0, 1, 0, 0]], 3, SearchFilter.None));
        Assert.True(e.Unavailable);
        Assert.Contains("Qdrant collection c cannot be reached", e.Message);
    }

    [Theory]
    [InlineData("qdrant://db:6334", "http://db:6334/", null)]
    [InlineData("qdrants://qdrant.example.org", "https://qdrant.example.org:6334/", null)]
    [InlineData("qdrant://localhost:7000/my_collection", "http://localhost:7000/", "my_collection")]
    [InlineData("http://10.0.0.5:6334", "http://10.0.0.5:6334/", null)]
    public void Endpoint_Parse_AddressTlsAndCollection(string url, string address, string? collection)
    {
        var endpoint = QdrantEndpoint.Parse(url);
        Assert.Equal(address, endpoint.Address.ToString());
        Assert.Equal(collection, endpoint.Collection);
    }

    [Theory]
    [InlineData("db:6334", "not a Qdrant URL")]
    [InlineData("qdrant://db:6333", "REST port")]
    [InlineData("qdrant://key@db:6334", "QDRANT_API_KEY")]
    [InlineData("qdrant://db:6334/bad name!", "not a valid collection name")]
    public void Endpoint_Parse_BadUrl_SaysWhatIsWrong(string url, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => QdrantEndpoint.Parse(url));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void CollectionNames_ModelAndDimension_SafeAndDistinct()
    {
        Assert.Equal("artmatch_mobilenetv2-12-int8_1280d", CollectionNames.For("mobilenetv2-12-int8", 1280));
        string baseline = CollectionNames.For("mobilenetv2-12-int8+baseline", 1280);
        Assert.Matches("^artmatch_mobilenetv2-12-int8_baseline_[0-9a-f]{10}_1280d$", baseline);
        Assert.NotEqual(baseline, CollectionNames.For("mobilenetv2-12-int8_baseline", 1280));
        Assert.True(CollectionNames.IsValid(CollectionNames.For(new string('x', 400), 8)));
    }
}
