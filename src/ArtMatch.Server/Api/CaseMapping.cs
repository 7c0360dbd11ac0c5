using System.Globalization;
using ArtMatch.Core.Cases;
using Google.Protobuf;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

/// <summary>Cases between the wire and the domain, validating what callers send.</summary>
internal static class CaseMapping
{
    public static NewCase ToDomain(Wire.CreateCaseRequest r, IReadOnlyList<NewCasePhoto> photos, DateTime now) => new()
    {
        Status = r.Status == Wire.CaseStatus.Unspecified ? CaseStatus.Open : ToDomain(r.Status),
        ObjectId = Empty(r.ObjectId),
        Place = Empty(r.Place),
        Country = Country(r.Country, "country"),
        OccurredAt = r.OccurredAt.Length == 0 ? now : Time(r.OccurredAt, "occurred_at"),
        Officer = Empty(r.Officer),
        Notes = Empty(r.Notes),
        Certificate = r.Certificate is null ? null : ToDomain(r.Certificate),
        Photos = photos,
        Findings = r.Findings.Select(f => ToDomain(f, r.ObjectId, now)).ToList(),
    };

    public static CaseUpdate ToDomain(Wire.UpdateCaseRequest r, IReadOnlyList<NewCasePhoto> photos, string? caseObjectId, DateTime now) => new()
    {
        Status = r.Status == Wire.CaseStatus.Unspecified ? null : ToDomain(r.Status),
        ObjectId = Empty(r.ObjectId),
        Place = Empty(r.Place),
        Notes = Empty(r.Notes),
        Certificate = r.Certificate is null ? null : ToDomain(r.Certificate),
        AddPhotos = photos,
        AddFindings = r.AddFindings.Select(f => ToDomain(f, Empty(r.ObjectId) ?? caseObjectId, now)).ToList(),
        ExpectedRevision = r.ExpectedRevision == 0 ? null : r.ExpectedRevision,
    };

    public static CaseStatus ToDomain(Wire.CaseStatus status) => status switch
    {
        Wire.CaseStatus.Open => CaseStatus.Open,
        Wire.CaseStatus.Seized => CaseStatus.Seized,
        Wire.CaseStatus.Cleared => CaseStatus.Cleared,
        Wire.CaseStatus.Returned => CaseStatus.Returned,
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"status {status} is not one of OPEN, SEIZED, CLEARED, RETURNED.")),
    };

    /// <summary>A Match or Verify answer the caller was given, kept whole (JSON) with its summary.</summary>
    private static CaseFinding ToDomain(Wire.CaseFinding f, string? objectId, DateTime now) => f.AnswerCase switch
    {
        Wire.CaseFinding.AnswerOneofCase.Match => new CaseFinding("match", Name(f.Match.Verdict), f.Match.BestScore)
        {
            ObjectId = f.Match.Candidates.FirstOrDefault()?.Object?.ObjectId is { Length: > 0 } first ? first : null,
            PhotoId = PhotoId(f.PhotoId), Answer = JsonFormatter.Default.Format(f.Match), At = now,
        },
        Wire.CaseFinding.AnswerOneofCase.Verify => new CaseFinding("verify", Name(f.Verify.Verdict), f.Verify.Score)
        {
            ObjectId = Empty(objectId ?? ""), PhotoId = PhotoId(f.PhotoId), Answer = JsonFormatter.Default.Format(f.Verify), At = now,
        },
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "A finding needs its answer: the MatchResponse (match) or VerifyResponse (verify) you were given.")),
    };

    private static ExportCertificate ToDomain(Wire.ExportCertificate c)
    {
        if (c.TypeOfExport.Length > 0 && c.TypeOfExport is not ("definitive" or "temporary"))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"certificate.type_of_export '{c.TypeOfExport}' is not \"definitive\" or \"temporary\"."));
        DateOnly? expiry = null;
        if (c.ExpiryDate.Length > 0)
        {
            expiry = DateOnly.TryParseExact(c.ExpiryDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
                : throw new RpcException(new Status(StatusCode.InvalidArgument, $"certificate.expiry_date '{c.ExpiryDate}' is not a date like 2027-01-31."));
        }
        return new ExportCertificate
        {
            CertificateNumber = Empty(c.CertificateNumber), IssuingAuthority = Empty(c.IssuingAuthority),
            IssuingCountry = Country(c.IssuingCountry, "certificate.issuing_country"), Exporter = Empty(c.Exporter), Consignee = Empty(c.Consignee),
            CountryOfDestination = Country(c.CountryOfDestination, "certificate.country_of_destination"), TypeOfExport = Empty(c.TypeOfExport),
            ExpiryDate = expiry, HsCode = Empty(c.HsCode),
        };
    }

    public static Wire.Case ToApi(CaseRecord c, Func<string, byte[]?>? photoBytes)
    {
        var message = new Wire.Case
        {
            CaseId = c.CaseId, Status = ToApi(c.Status), ObjectId = c.ObjectId ?? "", Place = c.Place ?? "", Country = c.Country ?? "",
            OccurredAt = Time(c.OccurredAt), Officer = c.Officer ?? "", Notes = c.Notes ?? "",
            CreatedAt = Time(c.CreatedAt), UpdatedAt = Time(c.UpdatedAt), Revision = c.Revision,
        };
        if (c.Certificate is { } e)
        {
            message.Certificate = new Wire.ExportCertificate
            {
                CertificateNumber = e.CertificateNumber ?? "", IssuingAuthority = e.IssuingAuthority ?? "", IssuingCountry = e.IssuingCountry ?? "",
                Exporter = e.Exporter ?? "", Consignee = e.Consignee ?? "", CountryOfDestination = e.CountryOfDestination ?? "",
                TypeOfExport = e.TypeOfExport ?? "", ExpiryDate = e.ExpiryDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", HsCode = e.HsCode ?? "",
            };
        }
        foreach (var p in c.Photos)
        {
            var photo = new Wire.CasePhoto { PhotoId = p.PhotoId, Label = p.Label ?? "" };
            if (photoBytes?.Invoke(p.PhotoId) is { } bytes)
                photo.Data = ByteString.CopyFrom(bytes);
            message.Photos.Add(photo);
        }
        foreach (var f in c.Findings)
        {
            var finding = new Wire.CaseFinding { PhotoId = f.PhotoId ?? "", AnsweredAt = Time(f.At) };
            if (f.Kind == "verify")
                finding.Verify = f.Answer is { } json ? JsonParser.Default.Parse<Wire.VerifyResponse>(json) : new Wire.VerifyResponse();
            else
                finding.Match = f.Answer is { } json ? JsonParser.Default.Parse<Wire.MatchResponse>(json) : new Wire.MatchResponse();
            message.Findings.Add(finding);
        }
        return message;
    }

    public static Wire.CaseStatus ToApi(CaseStatus status) => status switch
    {
        CaseStatus.Seized => Wire.CaseStatus.Seized,
        CaseStatus.Cleared => Wire.CaseStatus.Cleared,
        CaseStatus.Returned => Wire.CaseStatus.Returned,
        _ => Wire.CaseStatus.Open,
    };

    /// <summary>An RFC 3339 time, or an ISO date (midnight UTC).</summary>
    public static DateTime Time(string text, string field) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} '{text}' is not a time like 2026-11-30T14:05:00Z or a date like 2026-11-30."));

    private static string Time(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Name(Wire.Verdict verdict) => verdict switch
    {
        Wire.Verdict.Match => "match", Wire.Verdict.Possible => "possible", _ => "no_match",
    };

    private static string Name(Wire.VerifyVerdict verdict) => verdict switch
    {
        Wire.VerifyVerdict.Same => "same", Wire.VerifyVerdict.Uncertain => "uncertain", _ => "different",
    };

    private static string? PhotoId(string id) => id.Length == 0 ? null
        : id.Length == 64 && id.All(char.IsAsciiHexDigitLower) ? id
        : throw new RpcException(new Status(StatusCode.InvalidArgument, $"photo_id '{id}' is not a photo's sha256 (64 lower-case hex digits)."));

    private static string? Country(string code, string field) => code.Length == 0 ? null
        : code.Length == 2 && code.All(char.IsAsciiLetter) ? code.ToUpperInvariant()
        : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} '{code}' is not an ISO 3166-1 alpha-2 code like DE."));

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
