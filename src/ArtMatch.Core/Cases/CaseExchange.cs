using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ArtMatch.Core.Catalog;

namespace ArtMatch.Core.Cases;

/// <summary>
/// The case exchange file that partner administrations read (format "artmatch-case-exchange",
/// version 1; schema in schemas/case-exchange.v1.schema.json, fields in README). The object's
/// fields are named after Object ID, the certificate's after the UNESCO-WCO Model Export
/// Certificate; photos are named by sha256 (their bytes come through GetCase). JSON holds every
/// case with its lists; CSV one row per case with the lists joined by "; ".
/// </summary>
public static class CaseExchange
{
    public const string Format = "artmatch-case-exchange";
    public const int Version = 1;

    /// <summary>The JSON document for <paramref name="cases"/>, each with the catalogue record of its object when the catalogue has one.</summary>
    public static JsonObject ToJson(IReadOnlyList<CaseRecord> cases, Func<string, CulturalObject?> catalogue, DateTime? since, DateTime exportedAt) => new()
    {
        ["format"] = Format,
        ["format_version"] = Version,
        ["exported_at"] = Time(exportedAt),
        ["since"] = since is { } s ? Time(s) : null,
        ["cases"] = new JsonArray(cases.Select(c => (JsonNode)Case(c, c.ObjectId is { } id ? catalogue(id) : null)).ToArray()),
    };

    public static JsonObject Case(CaseRecord c, CulturalObject? record) => new()
    {
        ["case_id"] = c.CaseId,
        ["case_status"] = c.Status.ToString().ToLowerInvariant(),
        ["date_of_check"] = Time(c.OccurredAt),
        ["place_of_check"] = c.Place,
        ["country_of_check"] = c.Country,
        ["officer"] = c.Officer,
        ["notes"] = c.Notes,
        ["object"] = c.ObjectId is null ? null : Object(c.ObjectId, record),
        ["export_certificate"] = c.Certificate is { } certificate ? Certificate(certificate) : null,
        ["photos"] = new JsonArray(c.Photos.Select(p => (JsonNode)new JsonObject { ["photo_id"] = p.PhotoId, ["label"] = p.Label }).ToArray()),
        ["findings"] = new JsonArray(c.Findings.Select(f => (JsonNode)new JsonObject
        {
            ["kind"] = f.Kind, ["verdict"] = f.Verdict, ["score"] = Math.Round(f.Score, 4), ["object_id"] = f.ObjectId, ["photo_id"] = f.PhotoId, ["answered_at"] = Time(f.At),
        }).ToArray()),
        ["created_at"] = Time(c.CreatedAt),
        ["updated_at"] = Time(c.UpdatedAt),
        ["revision"] = c.Revision,
    };

    /// <summary>The object concerned, Object ID's fields (only the id when the catalogue has no record of it).</summary>
    private static JsonObject Object(string objectId, CulturalObject? o) => new()
    {
        ["object_id"] = objectId,
        ["type_of_object"] = o?.ObjectType,
        ["materials_and_techniques"] = o?.MaterialsAndTechniques,
        ["measurements"] = o?.Measurements,
        ["inscriptions_and_markings"] = o?.InscriptionsAndMarkings,
        ["distinguishing_features"] = o?.DistinguishingFeatures,
        ["title"] = o?.Title,
        ["subject"] = o?.Subject,
        ["date_or_period"] = o?.DateOrPeriod,
        ["maker"] = o?.Maker,
        ["description"] = o?.Description,
        ["inventory_number"] = o?.InventoryNumber,
        ["place_of_origin"] = o?.PlaceOfOrigin,
        ["registry"] = o?.Registry,
        ["registry_status"] = o is null ? null : StatusName(o.Status),
    };

    private static JsonObject Certificate(ExportCertificate e) => new()
    {
        ["certificate_number"] = e.CertificateNumber,
        ["issuing_authority"] = e.IssuingAuthority,
        ["country_of_export"] = e.IssuingCountry,
        ["exporter"] = e.Exporter,
        ["consignee"] = e.Consignee,
        ["country_of_destination"] = e.CountryOfDestination,
        ["type_of_export"] = e.TypeOfExport,
        ["expiry_date"] = e.ExpiryDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["hs_code"] = e.HsCode,
    };

    /// <summary>CSV columns, in order: the JSON's fields flattened (object_*, certificate's own names), lists joined by "; ".</summary>
    public static readonly string[] CsvColumns =
    [
        "case_id", "case_status", "date_of_check", "place_of_check", "country_of_check", "officer",
        "object_id", "type_of_object", "title", "maker", "date_or_period", "materials_and_techniques", "measurements", "inscriptions_and_markings",
        "distinguishing_features", "registry", "registry_status",
        "certificate_number", "issuing_authority", "country_of_export", "exporter", "consignee", "country_of_destination", "type_of_export", "expiry_date", "hs_code",
        "photo_ids", "finding_verdicts", "notes", "created_at", "updated_at", "revision",
    ];

    public static void WriteCsv(TextWriter writer, IReadOnlyList<CaseRecord> cases, Func<string, CulturalObject?> catalogue)
    {
        writer.WriteLine(string.Join(",", CsvColumns));
        foreach (var c in cases)
        {
            var json = Case(c, c.ObjectId is { } id ? catalogue(id) : null);
            var flat = new Dictionary<string, string?>();
            foreach (var (name, value) in json)
            {
                if (value is JsonObject nested)
                {
                    foreach (var (inner, innerValue) in nested)
                        flat[inner] = innerValue?.ToString();
                }
                else if (value is not JsonArray)
                {
                    flat[name] = value?.ToString();
                }
            }
            flat["photo_ids"] = string.Join("; ", c.Photos.Select(p => p.PhotoId));
            flat["finding_verdicts"] = string.Join("; ", c.Findings.Select(f => $"{f.Kind}:{f.Verdict}:{f.Score.ToString("F3", CultureInfo.InvariantCulture)}"));
            writer.WriteLine(string.Join(",", CsvColumns.Select(column => Quote(flat.GetValueOrDefault(column)))));
        }
    }

    private static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        // RFC 4180, and no cell a spreadsheet would run as a formula.
        if (value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string StatusName(ObjectStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    private static string Time(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>UTF-8 without a byte-order mark, as the schema's consumers expect.</summary>
    public static readonly Encoding FileEncoding = new UTF8Encoding(false);
}
