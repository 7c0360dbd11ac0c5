namespace ArtMatch.Core.Cases;

/// <summary>Where a case stands: opened at the border, then the object seized, cleared, or returned to its owner.</summary>
public enum CaseStatus
{
    Open = 0,
    Seized,
    Cleared,
    Returned,
}

/// <summary>
/// The export certificate (or declaration) presented with the object, with the fields of the
/// UNESCO-WCO Model Export Certificate that a border check records. All optional.
/// </summary>
public sealed record ExportCertificate
{
    public string? CertificateNumber { get; init; }

    /// <summary>The authority that issued the certificate.</summary>
    public string? IssuingAuthority { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country that issued it (the country of export).</summary>
    public string? IssuingCountry { get; init; }

    public string? Exporter { get; init; }

    public string? Consignee { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country of destination.</summary>
    public string? CountryOfDestination { get; init; }

    /// <summary>"definitive" or "temporary" (a loan, to return by <see cref="ExpiryDate"/>).</summary>
    public string? TypeOfExport { get; init; }

    public DateOnly? ExpiryDate { get; init; }

    /// <summary>Harmonized System heading declared (e.g. 9701, 9705, 9706).</summary>
    public string? HsCode { get; init; }
}

/// <summary>A photo kept with a case: its sha256 (the photo is stored once however many cases hold it) and a label.</summary>
public sealed record CasePhoto(string PhotoId, string? Label);

/// <summary>
/// A Match or Verify answer as it was given, kept with the case: the summary fields, and the whole
/// answer as the API returned it (JSON) for the record.
/// </summary>
public sealed record CaseFinding(string Kind, string Verdict, float Score)
{
    /// <summary>The catalogue object the answer named (Match's first candidate, Verify's object), if any.</summary>
    public string? ObjectId { get; init; }

    /// <summary>The case photo the answer was about (sha256), if any.</summary>
    public string? PhotoId { get; init; }

    /// <summary>The whole answer as the API returned it, JSON.</summary>
    public string? Answer { get; init; }

    public DateTime At { get; init; }
}

/// <summary>
/// A customs case: a check at the border that led to a seizure or a clearance, with the officer's
/// photos, the answers ArtMatch gave, the catalogue object concerned, where and when, and who.
/// </summary>
public sealed record CaseRecord
{
    public required string CaseId { get; init; }

    public CaseStatus Status { get; init; }

    /// <summary>The catalogue object concerned (Object ID), if any.</summary>
    public string? ObjectId { get; init; }

    /// <summary>Where the check took place: border post, airport, port, office.</summary>
    public string? Place { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country of the check.</summary>
    public string? Country { get; init; }

    /// <summary>When the check took place (UTC).</summary>
    public DateTime OccurredAt { get; init; }

    /// <summary>The officer responsible (the API key's name that created the case, unless given).</summary>
    public string? Officer { get; init; }

    public string? Notes { get; init; }

    public ExportCertificate? Certificate { get; init; }

    public IReadOnlyList<CasePhoto> Photos { get; init; } = [];

    public IReadOnlyList<CaseFinding> Findings { get; init; } = [];

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; init; }

    /// <summary>Counts the changes: 1 when created, one more per update.</summary>
    public int Revision { get; init; }
}

/// <summary>A photo to keep with a case: encoded bytes and a label.</summary>
public sealed record NewCasePhoto(byte[] Encoded, string? Label)
{
    public string PhotoId { get; } = Hashing.Sha256Hex(Encoded);
}

/// <summary>What a new case holds; the store gives it its id, times and revision.</summary>
public sealed record NewCase
{
    public CaseStatus Status { get; init; }
    public string? ObjectId { get; init; }
    public string? Place { get; init; }
    public string? Country { get; init; }
    public DateTime? OccurredAt { get; init; }
    public string? Officer { get; init; }
    public string? Notes { get; init; }
    public ExportCertificate? Certificate { get; init; }
    public IReadOnlyList<NewCasePhoto> Photos { get; init; } = [];
    public IReadOnlyList<CaseFinding> Findings { get; init; } = [];
}

/// <summary>A change to a case: null fields stay as they are; photos and findings are added.</summary>
public sealed record CaseUpdate
{
    public CaseStatus? Status { get; init; }
    public string? ObjectId { get; init; }
    public string? Place { get; init; }
    public string? Notes { get; init; }
    public ExportCertificate? Certificate { get; init; }
    public IReadOnlyList<NewCasePhoto> AddPhotos { get; init; } = [];
    public IReadOnlyList<CaseFinding> AddFindings { get; init; } = [];

    /// <summary>When set, the update applies only to this revision (someone else's change in between fails it).</summary>
    public int? ExpectedRevision { get; init; }
}

/// <summary>No case with this id.</summary>
public sealed class CaseNotFoundException(string caseId) : KeyNotFoundException($"No case '{caseId}'.")
{
    public string CaseId { get; } = caseId;
}

/// <summary>An update made against a revision that is no longer the case's latest.</summary>
public sealed class CaseConflictException(string caseId, int expected, int actual)
    : InvalidOperationException($"Case '{caseId}' is at revision {actual}, not {expected}: fetch it again and reapply the change.")
{
    public string CaseId { get; } = caseId;
}

/// <summary>
/// Customs cases, kept beside the catalogue. Photos are content-addressed: stored once by sha256.
/// Every change is written to the audit log under <c>actor</c>. Thread-safe.
/// </summary>
public interface ICaseStore
{
    CaseRecord CreateCase(NewCase newCase, string? actor);

    /// <exception cref="CaseNotFoundException">No such case.</exception>
    /// <exception cref="CaseConflictException"><see cref="CaseUpdate.ExpectedRevision"/> is not the latest.</exception>
    CaseRecord UpdateCase(string caseId, CaseUpdate update, string? actor);

    CaseRecord? GetCase(string caseId);

    /// <summary>Cases changed at or after <paramref name="since"/> (all when null), with the status when given, oldest change first.</summary>
    IReadOnlyList<CaseRecord> ListCases(DateTime? since, CaseStatus? status, int limit);

    /// <summary>A case photo's bytes by its sha256, or null.</summary>
    byte[]? GetCasePhoto(string photoId);
}
