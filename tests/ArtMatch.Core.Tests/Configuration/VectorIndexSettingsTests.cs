using ArtMatch.Core.Configuration;

namespace ArtMatch.Core.Tests.Configuration;

public class VectorIndexSettingsTests
{
    [Fact]
    public void Load_IndexSection_ReadsQdrantSettingsAndNeverWritesTheApiKeyBack()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"index": {"url": "qdrants://db:6334/cat", "api_key": "secret-key-123", "shards": 6, "replication_factor": 2, "hnsw_m": 48, "vectors_on_disk": false}}""");
            var config = ArtMatchConfig.Load(path);

            Assert.Equal(("qdrants://db:6334/cat", "secret-key-123", 6, 2, 48, false),
                (config.Index.Url, config.Index.ApiKey, config.Index.Shards, config.Index.ReplicationFactor, config.Index.HnswM, config.Index.VectorsOnDisk));
            Assert.False(config.Index.IsEmbedded);
            Assert.DoesNotContain("secret-key-123", config.ToJson());
            Assert.True(new ArtMatchConfig().Index.IsEmbedded);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
