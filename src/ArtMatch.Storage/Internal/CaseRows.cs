using System.Globalization;
using System.Text.Json;
using ArtMatch.Core.Cases;
using ArtMatch.Core.Configuration;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Internal;

/// <summary>How a case's columns are written and read.</summary>
internal static class CaseRows
{
    public static string StatusName(CaseStatus status) => status.ToString().ToLowerInvariant();

    public static CaseStatus ParseStatus(string name) => Enum.Parse<CaseStatus>(name, ignoreCase: true);

    /// <summary>UTC, round-trip format: sortable as text, as the catalogue's times are.</summary>
    public static string Time(DateTime at) => (at.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : at.ToUniversalTime())
        .ToString("O", CultureInfo.InvariantCulture);

    public static DateTime ParseTime(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();

    public static string? CertificateJson(ExportCertificate? certificate) =>
        certificate is null ? null : JsonSerializer.Serialize(certificate, ArtMatchConfig.JsonOptions);

    public static CaseRecord Read(SqliteDataReader r) => new()
    {
        CaseId = r.GetString(0),
        Status = ParseStatus(r.GetString(1)),
        ObjectId = Text(r, 2),
        Place = Text(r, 3),
        Country = Text(r, 4),
        OccurredAt = ParseTime(r.GetString(5)),
        Officer = Text(r, 6),
        Notes = Text(r, 7),
        Certificate = Text(r, 8) is { } json ? JsonSerializer.Deserialize<ExportCertificate>(json, ArtMatchConfig.JsonOptions) : null,
        CreatedAt = ParseTime(r.GetString(9)),
        UpdatedAt = ParseTime(r.GetString(10)),
        Revision = r.GetInt32(11),
    };

    /// <summary>What an update changed, for the audit log.</summary>
    public static string Changes(CaseRecord current, CaseUpdate update)
    {
        var parts = new List<string>();
        if (update.Status is { } status && status != current.Status)
            parts.Add($"status {StatusName(current.Status)} -> {StatusName(status)}");
        if (update.ObjectId is not null && update.ObjectId != current.ObjectId)
            parts.Add($"object {current.ObjectId ?? "none"} -> {update.ObjectId}");
        if (update.Place is not null && update.Place != current.Place)
            parts.Add("place");
        if (update.Notes is not null && update.Notes != current.Notes)
            parts.Add("notes");
        if (update.Certificate is not null)
            parts.Add("certificate");
        if (update.AddPhotos.Count > 0)
            parts.Add($"{update.AddPhotos.Count} photos added");
        if (update.AddFindings.Count > 0)
            parts.Add($"{update.AddFindings.Count} findings added");
        return parts.Count == 0 ? "no change" : string.Join(", ", parts) + $"; revision {current.Revision + 1}";
    }

    private static string? Text(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : r.GetString(column);
}
