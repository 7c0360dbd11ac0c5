using System.Globalization;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Matching;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

/// <summary>Converts between the wire messages and the domain, validating what callers send.</summary>
internal static class ApiMapping
{
    public static CulturalObject ToDomain(Wire.CulturalObject o)
    {
        string objectId = RequestLimits.ObjectId(o.ObjectId, "object.object_id");
        DateOnly? reported = null;
        if (o.DateReported.Length > 0)
        {
            if (!DateOnly.TryParseExact(o.DateReported, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"object.date_reported '{RequestLimits.Echo(o.DateReported)}' is not a date like 2024-05-31."));
            reported = date;
        }
        return new CulturalObject
        {
            ObjectId = objectId,
            ObjectType = Empty(o.ObjectType), ObjectSubtype = Empty(o.ObjectSubtype), MaterialsAndTechniques = Empty(o.MaterialsAndTechniques),
            Measurements = Empty(o.Measurements), InscriptionsAndMarkings = Empty(o.InscriptionsAndMarkings),
            DistinguishingFeatures = Empty(o.DistinguishingFeatures), Title = Empty(o.Title), Subject = Empty(o.Subject),
            DateOrPeriod = Empty(o.DateOrPeriod), Maker = Empty(o.Maker), Description = Empty(o.Description),
            InventoryNumber = Empty(o.InventoryNumber), PlaceOfOrigin = Empty(o.PlaceOfOrigin), Registry = Empty(o.Registry),
            Status = ToDomain(RequestLimits.Known(o.Status, "object.status")), Country = Empty(o.Country), DateReported = reported,
            Extra = o.Extra.ToDictionary(kv => kv.Key, kv => kv.Value),
        };
    }

    public static Wire.CulturalObject ToApi(CulturalObject o)
    {
        var message = new Wire.CulturalObject
        {
            ObjectId = o.ObjectId, ObjectType = o.ObjectType ?? "", ObjectSubtype = o.ObjectSubtype ?? "",
            MaterialsAndTechniques = o.MaterialsAndTechniques ?? "", Measurements = o.Measurements ?? "",
            InscriptionsAndMarkings = o.InscriptionsAndMarkings ?? "", DistinguishingFeatures = o.DistinguishingFeatures ?? "",
            Title = o.Title ?? "", Subject = o.Subject ?? "", DateOrPeriod = o.DateOrPeriod ?? "", Maker = o.Maker ?? "",
            Description = o.Description ?? "", InventoryNumber = o.InventoryNumber ?? "", PlaceOfOrigin = o.PlaceOfOrigin ?? "",
            Registry = o.Registry ?? "", Status = ToApi(o.Status), Country = o.Country ?? "",
            DateReported = o.DateReported?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
        };
        foreach (var (key, value) in o.Extra)
            message.Extra[key] = value;
        return message;
    }

    /// <summary>
    /// The domain filter; each list at most <see cref="RequestLimits.MaxFilterValues"/> values (a
    /// longer list made the store's query fail with too many parameters), each value an id-sized string.
    /// </summary>
    public static SearchFilter ToDomain(Wire.Filter? filter) => filter is null ? SearchFilter.None : new SearchFilter
    {
        Registries = filter.Registries.Count > 0 ? RequestLimits.FilterValues(filter.Registries, "filter.registries") : null,
        // An unknown value is refused rather than dropped: dropping it would widen the filter silently.
        Statuses = filter.Statuses.Count > 0
            ? RequestLimits.FilterValues(filter.Statuses, "filter.statuses").Select((s, i) => ToDomain(RequestLimits.Known(s, $"filter.statuses[{i}]"))).ToList()
            : null,
        ObjectTypes = filter.ObjectTypes.Count > 0 ? RequestLimits.FilterValues(filter.ObjectTypes, "filter.object_types") : null,
        Countries = filter.Countries.Count > 0 ? RequestLimits.FilterValues(filter.Countries, "filter.countries") : null,
    };

    public static Wire.MatchResponse ToApi(MatchResult result)
    {
        var response = new Wire.MatchResponse
        {
            Verdict = ToApi(result.Verdict), BestScore = result.BestScore, ModelId = result.ModelId, ElapsedMs = result.Milliseconds,
        };
        response.Candidates.AddRange(result.Candidates.Select(c =>
        {
            var candidate = new Wire.Candidate
            {
                Object = c.Record is { } record ? ToApi(record) : new Wire.CulturalObject { ObjectId = c.ObjectId },
                MatchedImageId = c.ImageId, Score = c.Score, Verdict = ToApi(c.Verdict), Inliers = c.Inliers, RankScore = c.RankScore, KeypointInliers = c.KeypointInliers,
            };
            if (c.ColourShift is { } shift)
                candidate.ColourShift = shift;
            return candidate;
        }));
        return response;
    }

    public static Wire.Verdict ToApi(Verdict verdict) => verdict switch
    {
        Verdict.Match => Wire.Verdict.Match,
        Verdict.Possible => Wire.Verdict.Possible,
        _ => Wire.Verdict.NoMatch,
    };

    private static ObjectStatus ToDomain(Wire.ObjectStatus status) => status switch
    {
        Wire.ObjectStatus.Stolen => ObjectStatus.Stolen,
        Wire.ObjectStatus.Missing => ObjectStatus.Missing,
        Wire.ObjectStatus.Recovered => ObjectStatus.Recovered,
        Wire.ObjectStatus.RedListExemplar => ObjectStatus.RedListExemplar,
        _ => ObjectStatus.Unknown,
    };

    private static Wire.ObjectStatus ToApi(ObjectStatus status) => status switch
    {
        ObjectStatus.Stolen => Wire.ObjectStatus.Stolen,
        ObjectStatus.Missing => Wire.ObjectStatus.Missing,
        ObjectStatus.Recovered => Wire.ObjectStatus.Recovered,
        ObjectStatus.RedListExemplar => Wire.ObjectStatus.RedListExemplar,
        _ => Wire.ObjectStatus.Unspecified,
    };

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
