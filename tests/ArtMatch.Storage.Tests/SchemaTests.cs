using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ArtMatch.Core.Catalog;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Tests;

public class SchemaTests
{
    [Fact]
    public void Open_NewDirectory_CreatesVersionedWalDatabaseWithFts5()
    {
        using var temp = new TempStore();
        using (var store = temp.Open())
            Assert.Equal(temp.DatabasePath, store.DatabasePath);

        using var raw = temp.Raw();
        Assert.Equal(9L, raw.Scalar("PRAGMA user_version"));
        Assert.Equal("wal", raw.Scalar("PRAGMA journal_mode"));
        Assert.Equal(1L, raw.Scalar("SELECT sqlite_compileoption_used('ENABLE_FTS5')"));
        Assert.Equal(0L, raw.Count("objects_fts"));
        foreach (var table in new[] { "objects", "images", "vectors", "audit_log", "whitening", "keypoints", "cases", "case_photos", "case_photo_links", "case_findings" })
            Assert.Equal(0L, raw.Count(table));
    }

    [Fact]
    public void Upsert_StoresFieldsAsColumnsAndVectorsAsLittleEndianFloats()
    {
        using var temp = new TempStore();
        var image = TempStore.Image(new Random(50), "a", vectors: 2, dim: 8);
        using (var store = temp.Open(dim: 8))
            store.Upsert(TempStore.Record("C") with { Maker = "Goya", DateReported = new DateOnly(2023, 12, 31), Extra = new Dictionary<string, string> { ["k"] = "v" } }, [image]);

        using var raw = temp.Raw();
        Assert.Equal("Goya", raw.Scalar("SELECT maker FROM objects"));
        Assert.Equal("2023-12-31", raw.Scalar("SELECT date_reported FROM objects"));
        Assert.Equal("Stolen", raw.Scalar("SELECT status FROM objects"));
        Assert.Equal("v", raw.Scalar("SELECT json_extract(extra, '$.k') FROM objects"));
        Assert.NotNull(raw.Scalar("SELECT created_at FROM objects"));
        Assert.Equal(8L, raw.Scalar("SELECT dimension FROM vectors WHERE region = 1"));
        var data = (byte[])raw.Scalar("SELECT data FROM vectors WHERE region = 1")!;
        Assert.Equal(image.Vectors[1], MemoryMarshal.Cast<byte, float>(data).ToArray());
    }

    [Fact]
    public void Open_NewerSchema_RefusesWithClearMessage()
    {
        using var temp = new TempStore();
        using (var db = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidDataException>(() => temp.Open());

        Assert.Contains("newer", error.Message);
    }

    [Fact]
    public void Open_Version1Store_UpgradesRecordsAndVectors()
    {
        using var temp = new TempStore();
        var record = new CulturalObject
        {
            ObjectId = "OLD-1", Title = "Icon of St Nicholas", Maker = "Novgorod school", Registry = "INTERPOL",
            Status = ObjectStatus.RedListExemplar, Country = "RU", ObjectType = "icon", DateReported = new DateOnly(2019, 5, 6),
            Extra = new Dictionary<string, string> { ["source"] = "legacy" },
        };
        var vector = TempStore.UnitVector(new Random(51), 8);
        WriteVersion1Store(temp.DatabasePath, record, vector);

        using (var store = temp.Open(dim: 8))
        {
            var loaded = store.Get("OLD-1")!;
            Assert.Equal(record with { Extra = loaded.Extra }, loaded);
            Assert.Equal(record.Extra, loaded.Extra);
            var hit = Assert.Single(store.Search(vector, 5, new SearchFilter { Statuses = [ObjectStatus.RedListExemplar] }));
            Assert.Equal(("OLD-1", "img1"), (hit.ObjectId, hit.ImageId));
            Assert.Equal(["OLD-1"], store.SearchText("novgorod", SearchFilter.None, 5).Select(o => o.ObjectId));
        }
        using var raw = temp.Raw();
        Assert.Equal(9L, raw.Scalar("PRAGMA user_version"));
        Assert.Equal(0L, raw.Count("keypoints"));
        Assert.Equal(8L, raw.Scalar("SELECT dimension FROM vectors"));
        Assert.Equal("2020-01-01T00:00:00.0000000Z", raw.Scalar("SELECT created_at FROM objects"));
    }

    [Fact]
    public void Open_Version6Store_AddsCasesAndKeepsTheCatalogue()
    {
        using var temp = new TempStore();
        using (var store = temp.Open(dim: 8))
            store.Upsert(TempStore.Record("V6"), [TempStore.Image(new Random(52), "a", dim: 8)]);
        // The store as main wrote it before cases: version 6, no case tables.
        using (var db = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "DROP TABLE case_findings; DROP TABLE case_photo_links; DROP TABLE case_photos; DROP TABLE cases; PRAGMA user_version = 6;";
            command.ExecuteNonQuery();
        }

        using (var store = temp.Open(dim: 8))
        {
            Assert.NotNull(store.Get("V6"));
            var created = store.CreateCase(new Core.Cases.NewCase { ObjectId = "V6", Place = "Basel airport" }, "officer-1");
            Assert.Equal("Basel airport", store.GetCase(created.CaseId)!.Place);
        }
        using var raw = temp.Raw();
        Assert.Equal(9L, raw.Scalar("PRAGMA user_version"));
        Assert.Equal(1L, raw.Count("cases"));
    }

    /// <summary>The version-1 layout: each record as snake_case JSON in one column, vectors without a dimension.</summary>
    private static void WriteVersion1Store(string path, CulturalObject record, float[] vector)
    {
        var json = JsonSerializer.Serialize(record, new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        });
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = """
            CREATE TABLE objects (object_id TEXT PRIMARY KEY, record TEXT NOT NULL, registry TEXT, status TEXT NOT NULL, object_type TEXT, country TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE INDEX objects_registry ON objects(registry);
            CREATE TABLE images (object_id TEXT NOT NULL REFERENCES objects(object_id) ON DELETE CASCADE, image_id TEXT NOT NULL,
                label TEXT, width INTEGER NOT NULL, height INTEGER NOT NULL, bytes BLOB NOT NULL, added_at TEXT NOT NULL, PRIMARY KEY (object_id, image_id));
            CREATE INDEX images_image ON images(image_id);
            CREATE TABLE vectors (object_id TEXT NOT NULL, image_id TEXT NOT NULL, model_id TEXT NOT NULL, region INTEGER NOT NULL, data BLOB NOT NULL,
                PRIMARY KEY (model_id, object_id, image_id, region),
                FOREIGN KEY (object_id, image_id) REFERENCES images(object_id, image_id) ON DELETE CASCADE);
            CREATE VIRTUAL TABLE objects_fts USING fts5(object_id UNINDEXED, title, maker, inscriptions, description, tokenize = 'unicode61 remove_diacritics 2');
            CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL, object_id TEXT, detail TEXT);
            PRAGMA user_version = 1;
            INSERT INTO objects VALUES ($id, $json, 'INTERPOL', 'RedListExemplar', 'icon', 'RU', '2020-01-01T00:00:00.0000000Z', '2021-01-01T00:00:00.0000000Z');
            INSERT INTO images VALUES ($id, 'img1', NULL, 4, 4, x'00', '2020-01-01T00:00:00.0000000Z');
            INSERT INTO vectors VALUES ($id, 'img1', $model, 0, $data);
            INSERT INTO objects_fts (object_id, title, maker, inscriptions, description) VALUES ($id, $title, $maker, NULL, '');
            """;
        command.Parameters.AddWithValue("$id", record.ObjectId);
        command.Parameters.AddWithValue("$json", json);
        command.Parameters.AddWithValue("$model", TempStore.Model);
        command.Parameters.AddWithValue("$data", MemoryMarshal.AsBytes(vector.AsSpan()).ToArray());
        command.Parameters.AddWithValue("$title", record.Title);
        command.Parameters.AddWithValue("$maker", record.Maker);
        command.ExecuteNonQuery();
    }
}
