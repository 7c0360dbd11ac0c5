using System.Globalization;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Internal;

/// <summary>Maps a <see cref="CulturalObject"/> to the columns of the objects table and back.</summary>
internal static class ObjectRows
{
    /// <summary>The record columns, in the order <see cref="Read"/> expects.</summary>
    public const string Columns =
        "object_id, object_type, object_subtype, materials_and_techniques, measurements, inscriptions_and_markings, " +
        "distinguishing_features, title, subject, date_or_period, maker, description, inventory_number, place_of_origin, " +
        "registry, status, country, date_reported, extra";

    public const string UpsertSql = $"""
        INSERT INTO objects ({Columns}, created_at, updated_at)
        VALUES ($object_id, $object_type, $object_subtype, $materials_and_techniques, $measurements, $inscriptions_and_markings,
            $distinguishing_features, $title, $subject, $date_or_period, $maker, $description, $inventory_number, $place_of_origin,
            $registry, $status, $country, $date_reported, $extra, $now, $now)
        ON CONFLICT(object_id) DO UPDATE SET
            object_type = excluded.object_type, object_subtype = excluded.object_subtype,
            materials_and_techniques = excluded.materials_and_techniques, measurements = excluded.measurements,
            inscriptions_and_markings = excluded.inscriptions_and_markings, distinguishing_features = excluded.distinguishing_features,
            title = excluded.title, subject = excluded.subject, date_or_period = excluded.date_or_period, maker = excluded.maker,
            description = excluded.description, inventory_number = excluded.inventory_number, place_of_origin = excluded.place_of_origin,
            registry = excluded.registry, status = excluded.status, country = excluded.country, date_reported = excluded.date_reported,
            extra = excluded.extra, updated_at = excluded.updated_at
        """;

    /// <summary>Overwrites an existing row's record columns (for schema upgrades; parameters as <see cref="Bind"/>).</summary>
    public static readonly string UpdateSql =
        "UPDATE objects SET " + string.Join(", ", Columns.Split(", ").Skip(1).Select(c => $"{c} = ${c}")) +
        ", updated_at = $now WHERE object_id = $object_id";

    private const string DateFormat = "yyyy-MM-dd";

    public static void Bind(SqliteCommand command, CulturalObject record, string now)
    {
        void Set(string name, object? value) => command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        Set("$object_id", record.ObjectId);
        Set("$object_type", record.ObjectType);
        Set("$object_subtype", record.ObjectSubtype);
        Set("$materials_and_techniques", record.MaterialsAndTechniques);
        Set("$measurements", record.Measurements);
        Set("$inscriptions_and_markings", record.InscriptionsAndMarkings);
        Set("$distinguishing_features", record.DistinguishingFeatures);
        Set("$title", record.Title);
        Set("$subject", record.Subject);
        Set("$date_or_period", record.DateOrPeriod);
        Set("$maker", record.Maker);
        Set("$description", record.Description);
        Set("$inventory_number", record.InventoryNumber);
        Set("$place_of_origin", record.PlaceOfOrigin);
        Set("$registry", record.Registry);
        Set("$status", record.Status.ToString());
        Set("$country", record.Country);
        Set("$date_reported", record.DateReported?.ToString(DateFormat, CultureInfo.InvariantCulture));
        Set("$extra", JsonSerializer.Serialize(record.Extra ?? new Dictionary<string, string>()));
        Set("$now", now);
    }

    /// <summary>Reads a record from a row selected with <see cref="Columns"/>.</summary>
    public static CulturalObject Read(SqliteDataReader reader)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        string id = reader.GetString(0);
        string status = reader.GetString(15);
        if (!Enum.TryParse<ObjectStatus>(status, ignoreCase: true, out var parsedStatus))
            throw new InvalidDataException($"Object '{id}' has an unknown status '{status}' in the store.");
        string? date = Text(17);
        return new CulturalObject
        {
            ObjectId = id,
            ObjectType = Text(1),
            ObjectSubtype = Text(2),
            MaterialsAndTechniques = Text(3),
            Measurements = Text(4),
            InscriptionsAndMarkings = Text(5),
            DistinguishingFeatures = Text(6),
            Title = Text(7),
            Subject = Text(8),
            DateOrPeriod = Text(9),
            Maker = Text(10),
            Description = Text(11),
            InventoryNumber = Text(12),
            PlaceOfOrigin = Text(13),
            Registry = Text(14),
            Status = parsedStatus,
            Country = Text(16),
            DateReported = date is null ? null : DateOnly.ParseExact(date, DateFormat, CultureInfo.InvariantCulture),
            Extra = JsonSerializer.Deserialize<Dictionary<string, string>>(Text(18) ?? "{}") ?? [],
        };
    }

    /// <summary>What the FTS "description" column indexes: the free-text fields besides title, maker and inscriptions.</summary>
    public static string DescriptionText(CulturalObject record) =>
        string.Join(' ', new[] { record.Description, record.DistinguishingFeatures, record.Subject }.Where(s => !string.IsNullOrEmpty(s)));
}
