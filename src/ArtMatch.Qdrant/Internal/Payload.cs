using System.Text.Json;
using ArtMatch.Core.Catalog;
using Qdrant.Client.Grpc;

namespace ArtMatch.Qdrant.Internal;

/// <summary>
/// The payload keys of a point. Filter fields are stored case-folded (the embedded index compares them
/// without case, Qdrant's keyword match is exact), and as "" when the record has none: every row then
/// carries every field, so changing a record is one set-payload request that also clears a field the
/// record lost (no filter value is ever "", so "" matches no filter, as a missing field would not).
/// </summary>
internal static class Payload
{
    public const string ObjectId = "object_id";
    public const string ImageId = "image_id";
    public const string Region = "region";
    public const string Kind = "kind";
    public const string Source = "source";
    public const string ObjectType = "object_type";
    public const string Status = "status";
    public const string Country = "country";

    /// <summary>Keyword fields with a payload index: the filters, and the ids deletes and scoring select by.</summary>
    public static readonly string[] KeywordIndexes = [ObjectId, ImageId, Kind, Source, ObjectType, Status, Country];

    public const string Whole = "whole";
    public const string RegionKind = "region";

    public static string KindOf(int region) => IndexedImage.KindOf(region) == RowKind.Whole ? Whole : RegionKind;

    public static string Fold(string value) => value.Trim().ToLowerInvariant();

    /// <summary>The status as the config and API name it (snake case: red_list_exemplar).</summary>
    public static string StatusValue(ObjectStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    /// <summary>The record's filter fields (no ids), as they are set on every row of the object.</summary>
    public static Dictionary<string, Value> Fields(IndexedObject record)
    {
        var fields = new Dictionary<string, Value> { [Status] = new Value { StringValue = StatusValue(record.Status) } };
        AddFolded(fields, Source, record.Registry);
        AddFolded(fields, ObjectType, record.ObjectType);
        AddFolded(fields, Country, record.Country);
        return fields;
    }

    /// <summary>Everything a row carries: its object's filter fields, ids, row number and kind.</summary>
    public static Dictionary<string, Value> Row(IndexedObject record, string imageId, int region)
    {
        var row = Fields(record);
        row[ObjectId] = new Value { StringValue = record.ObjectId };
        row[ImageId] = new Value { StringValue = imageId };
        row[Region] = new Value { IntegerValue = region };
        row[Kind] = new Value { StringValue = KindOf(region) };
        return row;
    }

    private static void AddFolded(Dictionary<string, Value> fields, string key, string? value) =>
        fields[key] = new Value { StringValue = string.IsNullOrWhiteSpace(value) ? "" : Fold(value) };
}
