using System.Globalization;
using ArtMatch.Storage.Internal;

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

    /// <summary>Appends to the audit log, inside the caller's transaction when there is one, linked to the entry before it.</summary>
    private void AuditLocked(string? actor, string action, string? objectId, string? detail)
    {
        string at = Now();
        string previous;
        using (var last = Command("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"))
            previous = last.ExecuteScalar() as string ?? AuditChain.Genesis;
        Run("INSERT INTO audit_log (at, actor, action, object_id, detail, hash) VALUES ($at, $actor, $action, $object, $detail, $hash)",
            ("$at", at), ("$actor", actor), ("$action", action), ("$object", objectId), ("$detail", detail),
            ("$hash", AuditChain.Link(previous, at, actor, action, objectId, detail)));
    }

    /// <summary>
    /// Walks the audit log in order and recomputes its hash chain: an entry edited, deleted or
    /// inserted out of order shows as the first entry whose stored hash differs. Entries removed
    /// from the end leave a shorter, valid chain: compare <see cref="AuditVerification.Head"/> with
    /// a copy kept elsewhere to detect that: give it as <paramref name="kept"/>.
    /// </summary>
    public AuditVerification VerifyAudit(AuditAnchor? kept = null)
    {
        lock (_dbLock)
            return VerifyAudit(_db, kept);
    }

    /// <summary>Verifies the audit chain of the store in <paramref name="directory"/> without opening the store (no model, no vectors loaded).</summary>
    public static AuditVerification VerifyAudit(string directory, AuditAnchor? kept = null)
    {
        string path = Path.Combine(directory, "catalog.db");
        if (!File.Exists(path))
            throw new FileNotFoundException($"No store in {directory} (no catalog.db).", path);
        using var db = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        Sql.Execute(db, "PRAGMA busy_timeout=5000;");
        if (Sql.Scalar<long>(db, "PRAGMA user_version") < 6)
            throw new InvalidDataException($"The store in {directory} predates the audit chain (schema {Sql.Scalar<long>(db, "PRAGMA user_version")}); open it once with this version (e.g. 'artmatch serve --store') to chain its log.");
        return VerifyAudit(db, kept);
    }

    /// <summary>
    /// The chain recomputed; with <paramref name="kept"/> (entries and head printed by an earlier
    /// verify, kept outside the store), also that the log still reaches that entry with that hash:
    /// entries cut from the end, or a log rewritten and chained again from the start, fail there.
    /// </summary>
    private static AuditVerification VerifyAudit(Microsoft.Data.Sqlite.SqliteConnection db, AuditAnchor? kept)
    {
        {
            using var command = Sql.Command(db, "SELECT id, at, actor, action, object_id, detail, hash FROM audit_log ORDER BY id");
            using var reader = command.ExecuteReader();
            string previous = AuditChain.Genesis;
            long count = 0;
            while (reader.Read())
            {
                count++;
                string expected = AuditChain.Link(previous, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                string? stored = reader.IsDBNull(6) ? null : reader.GetString(6);
                if (stored != expected)
                    return new AuditVerification(false, count - 1, previous, reader.GetInt64(0),
                        $"entry {reader.GetInt64(0)} does not follow from the one before: an entry was edited, deleted or inserted there");
                previous = stored;
                if (kept is not null && count == kept.Entries && !string.Equals(stored, kept.Head, StringComparison.OrdinalIgnoreCase))
                    return new AuditVerification(false, count, previous, reader.GetInt64(0),
                        $"entry {count} is not the kept head {kept.Head}: the log was rewritten up to there");
            }
            if (kept is not null && count < kept.Entries)
                return new AuditVerification(false, count, previous, null,
                    $"the log has {count} entries but the kept head is entry {kept.Entries}: {kept.Entries - count} entries were cut from the end");
            return new AuditVerification(true, count, previous, null);
        }
    }

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

/// <summary>
/// The audit chain checked: valid up to <see cref="Entries"/> entries ending at <see cref="Head"/>, or
/// broken at <see cref="BrokenAt"/> (an entry id; null when entries were cut from the end), <see cref="Problem"/> saying how.
/// </summary>
public sealed record AuditVerification(bool Valid, long Entries, string Head, long? BrokenAt, string? Problem = null)
{
    /// <summary>What to keep outside the store and give to a later verify: "entries:head".</summary>
    public AuditAnchor Anchor => new(Entries, Head);
}

/// <summary>A point of the audit chain kept outside the store (entries up to it, its hash), written "entries:head".</summary>
public sealed record AuditAnchor(long Entries, string Head)
{
    public override string ToString() => FormattableString.Invariant($"{Entries}:{Head}");

    /// <summary>Reads "entries:head" as an earlier verify printed it; FormatException saying the expected form otherwise.</summary>
    public static AuditAnchor Parse(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out long entries) || entries < 1
            || text.Length - colon - 1 != 64 || !text[(colon + 1)..].All(Uri.IsHexDigit))
            throw new FormatException($"'{(text.Length > 80 ? text[..80] + "..." : text)}' is not an audit head: expected ENTRIES:HASH (64 hex digits), as 'audit verify' prints it.");
        return new AuditAnchor(entries, text[(colon + 1)..]);
    }
}
