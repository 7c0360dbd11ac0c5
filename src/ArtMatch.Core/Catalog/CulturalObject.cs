namespace ArtMatch.Core.Catalog;

/// <summary>Why an object is in the catalogue.</summary>
public enum ObjectStatus
{
    Unknown = 0,
    Stolen,
    Missing,
    Recovered,
    RedListExemplar,
}

/// <summary>
/// A catalogued cultural object, with the Object ID standard fields (ICOM/Getty Object ID) plus
/// where the record comes from. Only <see cref="ObjectId"/> is required.
/// </summary>
public sealed record CulturalObject
{
    /// <summary>Stable identifier chosen by the registry (e.g. an INTERPOL or national record number).</summary>
    public required string ObjectId { get; init; }

    // Object ID standard fields.
    public string? ObjectType { get; init; }
    public string? ObjectSubtype { get; init; }
    public string? MaterialsAndTechniques { get; init; }
    public string? Measurements { get; init; }
    public string? InscriptionsAndMarkings { get; init; }
    public string? DistinguishingFeatures { get; init; }
    public string? Title { get; init; }
    public string? Subject { get; init; }
    public string? DateOrPeriod { get; init; }
    public string? Maker { get; init; }
    public string? Description { get; init; }
    public string? InventoryNumber { get; init; }
    public string? PlaceOfOrigin { get; init; }

    // Provenance of the record itself.
    public string? Registry { get; init; }
    public ObjectStatus Status { get; init; }
    public string? Country { get; init; }
    public DateOnly? DateReported { get; init; }

    /// <summary>Anything else the registry supplied (licence, source, URLs), kept verbatim.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}

/// <summary>One photo of an object. The id is the sha256 of the encoded bytes, lower-case hex.</summary>
public sealed record ObjectImage(string ImageId, string ObjectId, string? Label, int Width, int Height);
