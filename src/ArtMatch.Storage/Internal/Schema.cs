using System.Text.Json;
using System.Text.Json.Serialization;
using ArtMatch.Core.Catalog;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// The catalogue schema, versioned with PRAGMA user_version. Version 1 kept each record as JSON;
/// version 2 has a column per field (extra fields as JSON) and the dimension of each vector;
/// version 3 keeps each model's learned whitening; version 4 keeps each image's keypoints;
/// version 5 keeps each image's SIFT features with their visual words, and the catalogue's vocabulary;
/// version 6 chains the audit log: each entry carries the SHA-256 of the previous entry's hash and its own fields;
/// version 7 keeps customs cases (their photos stored once by sha256);
/// version 8 keeps what verification reads of each image (local features, size, colour thumbnail);
/// version 9 writes those compact (CatalogueLocalCodec version 2) and lists version 8's rows to re-encode.
/// </summary>
internal static class Schema
{
    public const int Version = 9;

    public static void Migrate(SqliteConnection db)
    {
        long version = Sql.Scalar<long>(db, "PRAGMA user_version");
        if (version > Version)
            throw new InvalidDataException($"The store was written by a newer ArtMatch (schema {version}; this one knows {Version}).");
        if (version == Version)
            return;
        using var transaction = db.BeginTransaction();
        if (version == 0)
        {
            Create(db);
        }
        else
        {
            if (version == 1)
                UpgradeFrom1(db);
            if (version < 3)
                CreateWhitening(db);
            if (version < 4)
                CreateKeypoints(db);
            if (version < 5)
                CreateSift(db);
            if (version < 6)
                ChainAudit(db);
            CreateCases(db);
            CreateCatalogueLocal(db);
            ListCatalogueLocalToRecode(db);
        }
        Sql.Execute(db, $"PRAGMA user_version = {Version}");
        transaction.Commit();
    }

    private static void Create(SqliteConnection db) => Sql.Execute(db, """
        CREATE TABLE objects (
            object_id TEXT PRIMARY KEY,
            object_type TEXT, object_subtype TEXT, materials_and_techniques TEXT, measurements TEXT,
            inscriptions_and_markings TEXT, distinguishing_features TEXT, title TEXT, subject TEXT, date_or_period TEXT,
            maker TEXT, description TEXT, inventory_number TEXT, place_of_origin TEXT,
            registry TEXT, status TEXT NOT NULL, country TEXT, date_reported TEXT,
            extra TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX objects_registry ON objects(registry);
        CREATE TABLE images (
            object_id TEXT NOT NULL REFERENCES objects(object_id) ON DELETE CASCADE,
            image_id TEXT NOT NULL,
            label TEXT, width INTEGER NOT NULL, height INTEGER NOT NULL,
            bytes BLOB NOT NULL, added_at TEXT NOT NULL,
            PRIMARY KEY (object_id, image_id));
        CREATE INDEX images_image ON images(image_id);
        CREATE TABLE vectors (
            object_id TEXT NOT NULL, image_id TEXT NOT NULL, model_id TEXT NOT NULL, region INTEGER NOT NULL,
            dimension INTEGER NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (model_id, object_id, image_id, region),
            FOREIGN KEY (object_id, image_id) REFERENCES images(object_id, image_id) ON DELETE CASCADE);
        CREATE INDEX vectors_image ON vectors(object_id, image_id);
        CREATE VIRTUAL TABLE objects_fts USING fts5(object_id UNINDEXED, title, maker, inscriptions, description, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL, object_id TEXT, detail TEXT, hash TEXT);
        """ + WhiteningTable + KeypointsTable + SiftTables + CasesTables + CatalogueLocalTable + RecodeTable);

    /// <summary>Mean and projection as little-endian float32, as the vectors.</summary>
    private const string WhiteningTable = """
        CREATE TABLE whitening (
            model_id TEXT PRIMARY KEY, dimension INTEGER NOT NULL, learned_from INTEGER NOT NULL, learned_at TEXT NOT NULL,
            mean BLOB NOT NULL, projection BLOB NOT NULL);
        """;

    private static void CreateWhitening(SqliteConnection db) => Sql.Execute(db, WhiteningTable);

    /// <summary>
    /// One <see cref="Core.Keypoints.KeypointSet.ToBytes"/> blob per stored image of an object. No model
    /// column: keypoints come from the pixels alone, so a model change keeps them.
    /// </summary>
    private const string KeypointsTable = """
        CREATE TABLE keypoints (
            object_id TEXT NOT NULL, image_id TEXT NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (object_id, image_id),
            FOREIGN KEY (object_id, image_id) REFERENCES images(object_id, image_id) ON DELETE CASCADE);
        """;

    private static void CreateKeypoints(SqliteConnection db) => Sql.Execute(db, KeypointsTable);

    /// <summary>
    /// One <see cref="Core.Sift.FeatureSetCodec"/> blob per stored image of an object, and the visual word of
    /// each feature (uint16 LE, null until a vocabulary exists); one vocabulary row (centres as float32 LE).
    /// Like keypoints, SIFT features come from the pixels alone and survive a model change.
    /// </summary>
    private const string SiftTables = """
        CREATE TABLE sift_features (
            object_id TEXT NOT NULL, image_id TEXT NOT NULL, data BLOB NOT NULL, words BLOB,
            PRIMARY KEY (object_id, image_id),
            FOREIGN KEY (object_id, image_id) REFERENCES images(object_id, image_id) ON DELETE CASCADE);
        CREATE TABLE sift_vocabulary (
            id INTEGER PRIMARY KEY CHECK (id = 1), words INTEGER NOT NULL, learned_from INTEGER NOT NULL, learned_at TEXT NOT NULL,
            centres BLOB NOT NULL);
        """;

    private static void CreateSift(SqliteConnection db) => Sql.Execute(db, SiftTables);

    /// <summary>Version 6: a hash column on the audit log, filled for the entries already there, in order.</summary>
    private static void ChainAudit(SqliteConnection db)
    {
        Sql.Execute(db, "ALTER TABLE audit_log ADD COLUMN hash TEXT");
        var rows = new List<(long Id, string Hash)>();
        string previous = AuditChain.Genesis;
        using (var command = Sql.Command(db, "SELECT id, at, actor, action, object_id, detail FROM audit_log ORDER BY id"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                previous = AuditChain.Link(previous, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                rows.Add((reader.GetInt64(0), previous));
            }
        }
        foreach (var (id, hash) in rows)
        {
            using var update = Sql.Command(db, "UPDATE audit_log SET hash = $hash WHERE id = $id", ("$hash", hash), ("$id", id));
            update.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Version 7: customs cases. A photo's bytes are kept once in case_photos (by sha256) however many
    /// cases link it; findings are the Match/Verify answers kept with a case, in order. Times are UTC
    /// round-trip text. IF NOT EXISTS: a store taken back to an older version by hand keeps its cases.
    /// </summary>
    private const string CasesTables = """
        CREATE TABLE IF NOT EXISTS cases (
            case_id TEXT PRIMARY KEY, status TEXT NOT NULL, object_id TEXT, place TEXT, country TEXT, occurred_at TEXT NOT NULL,
            officer TEXT, notes TEXT, certificate TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, revision INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS cases_updated ON cases(updated_at);
        CREATE TABLE IF NOT EXISTS case_photos (photo_id TEXT PRIMARY KEY, bytes BLOB NOT NULL, added_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS case_photo_links (
            case_id TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
            photo_id TEXT NOT NULL REFERENCES case_photos(photo_id),
            label TEXT, position INTEGER NOT NULL,
            PRIMARY KEY (case_id, photo_id));
        CREATE TABLE IF NOT EXISTS case_findings (
            case_id TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE, position INTEGER NOT NULL,
            kind TEXT NOT NULL, verdict TEXT NOT NULL, score REAL NOT NULL, object_id TEXT, photo_id TEXT, answer TEXT, at TEXT NOT NULL,
            PRIMARY KEY (case_id, position));
        """;

    private static void CreateCases(SqliteConnection db) => Sql.Execute(db, CasesTables);

    /// <summary>
    /// Version 8: one <see cref="Core.Matching.Stages.CatalogueLocalCodec"/> blob per stored image of an
    /// object, made at import, so that verifying a photo against a picture needs no decode and no model
    /// run. They depend on the model (model_id: another model's are ignored and made again); images stored
    /// before version 8 get them from their bytes (CatalogImporter.BackfillCatalogueLocal). IF NOT EXISTS
    /// as the cases.
    /// </summary>
    private const string CatalogueLocalTable = """
        CREATE TABLE IF NOT EXISTS catalogue_local (
            object_id TEXT NOT NULL, image_id TEXT NOT NULL, model_id TEXT NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (object_id, image_id),
            FOREIGN KEY (object_id, image_id) REFERENCES images(object_id, image_id) ON DELETE CASCADE);
        CREATE INDEX IF NOT EXISTS catalogue_local_image ON catalogue_local(image_id);
        """;

    private static void CreateCatalogueLocal(SqliteConnection db) => Sql.Execute(db, CatalogueLocalTable);

    /// <summary>
    /// Version 9: rows of catalogue_local written before (float32, about 420 KB a picture) that are still to be
    /// re-encoded compact, by rowid (SqliteCatalogStore.RecodeCatalogueLocal, in the background). Listing them
    /// reads no blob, so the upgrade itself is quick at any size; a kill during the re-encoding leaves the
    /// rest listed, and both encodings are read meanwhile.
    /// </summary>
    private const string RecodeTable = "CREATE TABLE IF NOT EXISTS catalogue_local_recode (id INTEGER PRIMARY KEY);";

    private static void ListCatalogueLocalToRecode(SqliteConnection db) =>
        Sql.Execute(db, RecodeTable + "INSERT OR IGNORE INTO catalogue_local_recode (id) SELECT rowid FROM catalogue_local;");

    private static readonly JsonSerializerOptions Version1Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Spreads each version-1 JSON record over the new columns and records each vector's dimension.</summary>
    private static void UpgradeFrom1(SqliteConnection db)
    {
        string[] added =
        [
            "object_subtype", "materials_and_techniques", "measurements", "inscriptions_and_markings", "distinguishing_features",
            "title", "subject", "date_or_period", "maker", "description", "inventory_number", "place_of_origin", "date_reported",
        ];
        foreach (var column in added)
            Sql.Execute(db, $"ALTER TABLE objects ADD COLUMN {column} TEXT");
        Sql.Execute(db, "ALTER TABLE objects ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'");

        var records = new List<(CulturalObject Record, string Created, string Updated)>();
        using (var select = Sql.Command(db, "SELECT record, created_at, updated_at FROM objects"))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                var record = JsonSerializer.Deserialize<CulturalObject>(reader.GetString(0), Version1Json)
                    ?? throw new InvalidDataException("A version-1 record is empty.");
                records.Add((record, reader.GetString(1), reader.GetString(2)));
            }
        }
        foreach (var (record, created, updated) in records)
        {
            using var upsert = Sql.Command(db, ObjectRows.UpdateSql);
            ObjectRows.Bind(upsert, record, updated);
            upsert.ExecuteNonQuery();
            Sql.Execute(db, "UPDATE objects SET created_at = $created WHERE object_id = $id", ("$created", created), ("$id", record.ObjectId));
        }
        Sql.Execute(db, "ALTER TABLE objects DROP COLUMN record");
        Sql.Execute(db, "ALTER TABLE vectors ADD COLUMN dimension INTEGER NOT NULL DEFAULT 0");
        Sql.Execute(db, "UPDATE vectors SET dimension = length(data) / 4");
        Sql.Execute(db, "CREATE INDEX IF NOT EXISTS vectors_image ON vectors(object_id, image_id)");
    }
}
