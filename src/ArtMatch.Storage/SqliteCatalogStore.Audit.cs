using System.Globalization;

namespace ArtMatch.Storage;

/// <summary>The audit log: who changed what, newest first.</summary>
public sealed partial class SqliteCatalogStore
{
    /// <summary>Appends an entry to the audit log (for actions outside the store's own writes, which log themselves).</summary>
    public void Audit(string? actor, string action, string? objectId, string? detail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        lock (_dbLock)
            AuditLocked(actor, action, objectId, detail);
    }

    /// <summary>Appends to the audit log, inside the caller's transaction when there is one.</summary>
    private void AuditLocked(string? actor, string action, string? objectId, string? detail) =>
        Run("INSERT INTO audit_log (at, actor, action, object_id, detail) VALUES ($at, $actor, $action, $object, $detail)",
            ("$at", Now()), ("$actor", actor), ("$action", action), ("$object", objectId), ("$detail", detail));

    /// <summary>The latest <paramref name="limit"/> audit entries, newest first.</summary>
    public IReadOnlyList<(DateTime At, string? Actor, string Action, string? ObjectId, string? Detail)> AuditLog(int limit = 100)
    {
        lock (_dbLock)
        {
            using var command = Command("SELECT at, actor, action, object_id, detail FROM audit_log ORDER BY id DESC LIMIT $limit", ("$limit", limit));
            using var reader = command.ExecuteReader();
            var entries = new List<(DateTime, string?, string, string?, string?)>();
            while (reader.Read())
            {
                entries.Add((DateTime.Parse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                    reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
            return entries;
        }
    }
}
