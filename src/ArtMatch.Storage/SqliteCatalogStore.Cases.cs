using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ArtMatch.Core.Cases;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>
/// Customs cases (<see cref="ICaseStore"/>): one row per case, its photos stored once by sha256 in
/// case_photos and linked to each case holding them, its findings in order. Every create and update
/// is one transaction with its audit entry.
/// </summary>
public sealed partial class SqliteCatalogStore : ICaseStore
{
    public CaseRecord CreateCase(NewCase newCase, string? actor)
    {
        ArgumentNullException.ThrowIfNull(newCase);
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            string caseId = NewCaseId();
            string now = Now();
            Run("""
                INSERT INTO cases (case_id, status, object_id, place, country, occurred_at, officer, notes, certificate, created_at, updated_at, revision)
                VALUES ($id, $status, $object, $place, $country, $occurred, $officer, $notes, $certificate, $now, $now, 1)
                """,
                ("$id", caseId), ("$status", CaseRows.StatusName(newCase.Status)), ("$object", newCase.ObjectId), ("$place", newCase.Place),
                ("$country", newCase.Country), ("$occurred", CaseRows.Time(newCase.OccurredAt ?? DateTime.UtcNow)), ("$officer", newCase.Officer ?? actor),
                ("$notes", newCase.Notes), ("$certificate", CaseRows.CertificateJson(newCase.Certificate)), ("$now", now));
            AddCasePhotos(caseId, newCase.Photos, now);
            AddFindings(caseId, newCase.Findings, now);
            AuditLocked(actor, "case_create", newCase.ObjectId, $"case {caseId}: {CaseRows.StatusName(newCase.Status)}, {newCase.Photos.Count} photos, {newCase.Findings.Count} findings");
            transaction.Commit();
            return ReadCase(caseId)!;
        }
    }

    public CaseRecord UpdateCase(string caseId, CaseUpdate update, string? actor)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            var current = ReadCase(caseId) ?? throw new CaseNotFoundException(caseId);
            if (update.ExpectedRevision is { } expected && expected != current.Revision)
                throw new CaseConflictException(caseId, expected, current.Revision);
            string now = Now();
            Run("""
                UPDATE cases SET status = $status, object_id = $object, place = $place, notes = $notes, certificate = $certificate,
                    updated_at = $now, revision = revision + 1
                WHERE case_id = $id
                """,
                ("$id", caseId), ("$status", CaseRows.StatusName(update.Status ?? current.Status)), ("$object", update.ObjectId ?? current.ObjectId),
                ("$place", update.Place ?? current.Place), ("$notes", update.Notes ?? current.Notes),
                ("$certificate", CaseRows.CertificateJson(update.Certificate ?? current.Certificate)), ("$now", now));
            AddCasePhotos(caseId, update.AddPhotos, now);
            AddFindings(caseId, update.AddFindings, now);
            AuditLocked(actor, "case_update", update.ObjectId ?? current.ObjectId, $"case {caseId}: {CaseRows.Changes(current, update)}");
            transaction.Commit();
            return ReadCase(caseId)!;
        }
    }

    public CaseRecord? GetCase(string caseId)
    {
        lock (_dbLock)
            return ReadCase(caseId);
    }

    public IReadOnlyList<CaseRecord> ListCases(DateTime? since, CaseStatus? status, int limit)
    {
        lock (_dbLock)
        {
            var ids = new List<string>();
            using (var command = Command("""
                SELECT case_id FROM cases WHERE ($since IS NULL OR updated_at >= $since) AND ($status IS NULL OR status = $status)
                ORDER BY updated_at, case_id LIMIT $limit
                """,
                ("$since", since is { } s ? CaseRows.Time(s) : null), ("$status", status is { } st ? CaseRows.StatusName(st) : null), ("$limit", limit)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                    ids.Add(reader.GetString(0));
            }
            return ids.Select(id => ReadCase(id)!).ToList();
        }
    }

    public byte[]? GetCasePhoto(string photoId)
    {
        lock (_dbLock)
            return Sql.Scalar<byte[]?>(_db, "SELECT bytes FROM case_photos WHERE photo_id = $id", ("$id", photoId));
    }

    /// <summary>Links the photos to the case, storing each photo's bytes only when no case holds them yet.</summary>
    private void AddCasePhotos(string caseId, IReadOnlyList<NewCasePhoto> photos, string now)
    {
        int position = (int)Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM case_photo_links WHERE case_id = $id", ("$id", caseId));
        foreach (var photo in photos)
        {
            Run("INSERT OR IGNORE INTO case_photos (photo_id, bytes, added_at) VALUES ($photo, $bytes, $now)",
                ("$photo", photo.PhotoId), ("$bytes", photo.Encoded), ("$now", now));
            position += Run("INSERT OR IGNORE INTO case_photo_links (case_id, photo_id, label, position) VALUES ($id, $photo, $label, $position)",
                ("$id", caseId), ("$photo", photo.PhotoId), ("$label", photo.Label), ("$position", position));
        }
    }

    private void AddFindings(string caseId, IReadOnlyList<CaseFinding> findings, string now)
    {
        int position = (int)Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM case_findings WHERE case_id = $id", ("$id", caseId));
        foreach (var f in findings)
        {
            Run("""
                INSERT INTO case_findings (case_id, position, kind, verdict, score, object_id, photo_id, answer, at)
                VALUES ($id, $position, $kind, $verdict, $score, $object, $photo, $answer, $at)
                """,
                ("$id", caseId), ("$position", position++), ("$kind", f.Kind), ("$verdict", f.Verdict), ("$score", (double)f.Score),
                ("$object", f.ObjectId), ("$photo", f.PhotoId), ("$answer", f.Answer), ("$at", f.At == default ? now : CaseRows.Time(f.At)));
        }
    }

    private CaseRecord? ReadCase(string caseId)
    {
        CaseRecord record;
        using (var command = Command("""
            SELECT case_id, status, object_id, place, country, occurred_at, officer, notes, certificate, created_at, updated_at, revision
            FROM cases WHERE case_id = $id
            """, ("$id", caseId)))
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
                return null;
            record = CaseRows.Read(reader);
        }
        var photos = new List<CasePhoto>();
        using (var command = Command("SELECT photo_id, label FROM case_photo_links WHERE case_id = $id ORDER BY position", ("$id", caseId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                photos.Add(new CasePhoto(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }
        var findings = new List<CaseFinding>();
        using (var command = Command("SELECT kind, verdict, score, object_id, photo_id, answer, at FROM case_findings WHERE case_id = $id ORDER BY position", ("$id", caseId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                findings.Add(new CaseFinding(reader.GetString(0), reader.GetString(1), (float)reader.GetDouble(2))
                {
                    ObjectId = reader.IsDBNull(3) ? null : reader.GetString(3),
                    PhotoId = reader.IsDBNull(4) ? null : reader.GetString(4),
                    Answer = reader.IsDBNull(5) ? null : reader.GetString(5),
                    At = CaseRows.ParseTime(reader.GetString(6)),
                });
            }
        }
        return record with { Photos = photos, Findings = findings };
    }

    /// <summary>"CASE-" and 16 random hex digits: unguessable, so a partner cannot walk the case list by id.</summary>
    private static string NewCaseId() => "CASE-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
