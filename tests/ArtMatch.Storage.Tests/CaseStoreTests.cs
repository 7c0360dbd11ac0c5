using ArtMatch.Core.Cases;

namespace ArtMatch.Storage.Tests;

public class CaseStoreTests
{
    private static readonly byte[] PhotoA = [1, 2, 3, 4, 5];
    private static readonly byte[] PhotoB = [9, 8, 7];

    [Fact]
    public void CreateCase_WithPhotosAndFindings_ReadsBackWhatWasGiven()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 8);
        var occurred = new DateTime(2026, 11, 30, 14, 5, 0, DateTimeKind.Utc);

        var created = store.CreateCase(new NewCase
        {
            ObjectId = "INTERPOL-123", Place = "Frankfurt airport, cargo", Country = "DE", OccurredAt = occurred, Notes = "crate 4 of 7",
            Certificate = new ExportCertificate { CertificateNumber = "EC-2026-0042", IssuingCountry = "IT", TypeOfExport = "definitive", ExpiryDate = new DateOnly(2027, 1, 31) },
            Photos = [new NewCasePhoto(PhotoA, "front")],
            Findings = [new CaseFinding("verify", "different", 0.61f) { ObjectId = "INTERPOL-123", Answer = "{\"verdict\":\"DIFFERENT\"}" }],
        }, "officer-1");

        var read = store.GetCase(created.CaseId)!;
        Assert.StartsWith("CASE-", read.CaseId);
        Assert.Equal((CaseStatus.Open, "INTERPOL-123", "DE", occurred, "officer-1", 1), (read.Status, read.ObjectId, read.Country, read.OccurredAt, read.Officer, read.Revision));
        Assert.Equal("EC-2026-0042", read.Certificate!.CertificateNumber);
        Assert.Equal(new DateOnly(2027, 1, 31), read.Certificate.ExpiryDate);
        Assert.Equal([new CasePhoto(Core.Hashing.Sha256Hex(PhotoA), "front")], read.Photos);
        var finding = Assert.Single(read.Findings);
        Assert.Equal(("verify", "different", 0.61f, "{\"verdict\":\"DIFFERENT\"}"), (finding.Kind, finding.Verdict, finding.Score, finding.Answer));
        Assert.Equal(PhotoA, store.GetCasePhoto(read.Photos[0].PhotoId));
    }

    [Fact]
    public void UpdateCase_StatusAndPhotos_NewRevisionAndEveryChangeAudited()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 8);
        var created = store.CreateCase(new NewCase { Photos = [new NewCasePhoto(PhotoA, null)] }, "officer-1");

        var updated = store.UpdateCase(created.CaseId, new CaseUpdate
        {
            Status = CaseStatus.Seized, ObjectId = "INTERPOL-9", AddPhotos = [new NewCasePhoto(PhotoB, "label"), new NewCasePhoto(PhotoA, "again")],
        }, "officer-2");

        Assert.Equal((CaseStatus.Seized, "INTERPOL-9", 2), (updated.Status, updated.ObjectId, updated.Revision));
        Assert.Equal([Core.Hashing.Sha256Hex(PhotoA), Core.Hashing.Sha256Hex(PhotoB)], updated.Photos.Select(p => p.PhotoId));
        var log = store.AuditLog(10);
        Assert.Equal(("case_update", "officer-2"), (log[0].Action, log[0].Actor));
        Assert.Contains($"case {created.CaseId}: status open -> seized", log[0].Detail);
        Assert.Equal(("case_create", "officer-1"), (log[1].Action, log[1].Actor));
    }

    [Fact]
    public void CreateCase_SamePhotoInTwoCases_StoredOnce()
    {
        using var temp = new TempStore();
        using (var store = temp.Open(dim: 8))
        {
            store.CreateCase(new NewCase { Photos = [new NewCasePhoto(PhotoA, null)] }, "a");
            store.CreateCase(new NewCase { Photos = [new NewCasePhoto(PhotoA, null), new NewCasePhoto(PhotoB, null)] }, "b");
        }

        using var raw = temp.Raw();
        Assert.Equal(2L, raw.Count("case_photos"));
        Assert.Equal(3L, raw.Count("case_photo_links"));
    }

    [Fact]
    public void UpdateCase_StaleRevisionOrUnknownCase_RefusedAndNothingWritten()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 8);
        var created = store.CreateCase(new NewCase(), "a");
        store.UpdateCase(created.CaseId, new CaseUpdate { Notes = "first" }, "a");

        var conflict = Assert.Throws<CaseConflictException>(() => store.UpdateCase(created.CaseId, new CaseUpdate { Notes = "second", ExpectedRevision = 1 }, "b"));
        Assert.Throws<CaseNotFoundException>(() => store.UpdateCase("CASE-none", new CaseUpdate { Notes = "x" }, "b"));

        Assert.Contains("revision 2, not 1", conflict.Message);
        Assert.Equal(("first", 2), (store.GetCase(created.CaseId)!.Notes, store.GetCase(created.CaseId)!.Revision));
        Assert.Equal(2, store.AuditLog(10).Count);
    }

    [Fact]
    public void ListCases_SinceAndStatus_FiltersOldestChangeFirst()
    {
        using var temp = new TempStore();
        using var store = temp.Open(dim: 8);
        var first = store.CreateCase(new NewCase(), "a");
        var second = store.CreateCase(new NewCase { Status = CaseStatus.Cleared }, "a");
        var cut = DateTime.UtcNow;
        Thread.Sleep(5);
        store.UpdateCase(first.CaseId, new CaseUpdate { Status = CaseStatus.Seized }, "a");

        Assert.Equal([second.CaseId, first.CaseId], store.ListCases(null, null, 10).Select(c => c.CaseId));
        Assert.Equal([first.CaseId], store.ListCases(cut, null, 10).Select(c => c.CaseId));
        Assert.Equal([second.CaseId], store.ListCases(null, CaseStatus.Cleared, 10).Select(c => c.CaseId));
    }
}
