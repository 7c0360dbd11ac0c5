using System.Globalization;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using CsvHelper;
using CsvHelper.Configuration;

namespace ArtMatch.Core.Import;

/// <summary>One object read from a catalogue file, with its images as paths; or why the entry was refused.</summary>
public sealed record CatalogEntry(int Line, CulturalObject? Record, IReadOnlyList<string> ImagePaths, string? Error)
{
    public bool IsValid => Error is null && Record is not null;

    /// <summary>Each resolved image path as the catalogue wrote it, for messages (which never name the resolved path).</summary>
    public IReadOnlyDictionary<string, string>? WrittenPaths { get; init; }

    /// <summary>An image path as the catalogue file wrote it.</summary>
    public string Written(string path) => WrittenPaths?.GetValueOrDefault(path) ?? path;
}

/// <summary>
/// Reads catalogue files: CSV (one row per image or per object; Object ID field names as snake_case
/// columns, images in <c>image</c> or <c>images</c> separated by ';') or JSON (an array of records
/// with <c>images</c> and <c>extra</c>). Unknown columns are kept as extra fields. Image paths are
/// resolved against the file's folder. Rows of one object id are merged, in file order.
/// </summary>
public static class CatalogFile
{
    private static readonly Dictionary<string, Func<CulturalObject, string, CulturalObject>> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["object_type"] = (r, v) => r with { ObjectType = v },
        ["object_subtype"] = (r, v) => r with { ObjectSubtype = v },
        ["materials_and_techniques"] = (r, v) => r with { MaterialsAndTechniques = v },
        ["materials"] = (r, v) => r with { MaterialsAndTechniques = Join(r.MaterialsAndTechniques, v) },
        ["techniques"] = (r, v) => r with { MaterialsAndTechniques = Join(r.MaterialsAndTechniques, v) },
        ["measurements"] = (r, v) => r with { Measurements = v },
        ["inscriptions_and_markings"] = (r, v) => r with { InscriptionsAndMarkings = v },
        ["inscriptions"] = (r, v) => r with { InscriptionsAndMarkings = v },
        ["distinguishing_features"] = (r, v) => r with { DistinguishingFeatures = v },
        ["title"] = (r, v) => r with { Title = v },
        ["subject"] = (r, v) => r with { Subject = v },
        ["date_or_period"] = (r, v) => r with { DateOrPeriod = v },
        ["maker"] = (r, v) => r with { Maker = v },
        ["description"] = (r, v) => r with { Description = v },
        ["inventory_number"] = (r, v) => r with { InventoryNumber = v },
        ["place_of_origin"] = (r, v) => r with { PlaceOfOrigin = v },
        ["registry"] = (r, v) => r with { Registry = v },
        ["country"] = (r, v) => r with { Country = v },
        ["status"] = (r, v) => r with { Status = ParseStatus(v) },
        ["date_reported"] = (r, v) => r with { DateReported = ParseDate(v) },
    };

    private static readonly HashSet<string> ImageColumns = new(StringComparer.OrdinalIgnoreCase) { "image", "images" };

    /// <summary>
    /// Reads a catalogue file. Image paths resolve against the file's folder and, unless
    /// <paramref name="allowOutside"/>, must stay inside it once resolved (<c>..</c>, absolute paths
    /// and symlinks followed to their targets): an entry with an image outside is refused with its
    /// row and the path as written, so a catalogue cannot make the importer read (and store) other files.
    /// </summary>
    public static IReadOnlyList<CatalogEntry> Read(string path, bool allowOutside = false)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Catalogue file not found: {path}", path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var raw = Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase) ? ReadJson(path) : ReadCsv(path);
        return Merge(raw.Select(e => Resolve(e, folder, allowOutside)));
    }

    private static CatalogEntry Resolve(CatalogEntry entry, string folder, bool allowOutside)
    {
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        var resolved = new List<string>();
        foreach (var image in entry.ImagePaths)
        {
            string full = Path.GetFullPath(Path.Combine(folder, image));
            if (!allowOutside)
            {
                string? outside = ConfinedPath.Check(full, folder);
                if (outside is not null && entry.Error is null)
                {
                    return entry with
                    {
                        Error = $"image '{image}' {outside}; images must be inside the catalogue file's folder (import --allow-outside to read them anyway)",
                    };
                }
            }
            written.TryAdd(full, image);
            resolved.Add(full);
        }
        return entry with { ImagePaths = resolved, WrittenPaths = written };
    }

    public static ObjectStatus ParseStatus(string value) => value.Trim().Replace("_", "").Replace("-", "").Replace(" ", "").ToLowerInvariant() switch
    {
        "" or "unknown" => ObjectStatus.Unknown,
        "stolen" => ObjectStatus.Stolen,
        "missing" => ObjectStatus.Missing,
        "recovered" => ObjectStatus.Recovered,
        "redlist" or "redlistexemplar" => ObjectStatus.RedListExemplar,
        _ => throw new FormatException($"status '{value}' is not one of stolen, missing, recovered, red_list_exemplar"),
    };

    private static DateOnly? ParseDate(string value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : throw new FormatException($"date_reported '{value}' is not a date like 2024-05-31");

    private static string Join(string? first, string second) => string.IsNullOrEmpty(first) ? second : $"{first}; {second}";

    private static List<CatalogEntry> ReadCsv(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { MissingFieldFound = null, BadDataFound = null });
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { } header)
            throw new InvalidDataException($"{path}: empty catalogue file (expected a header row with object_id, image).");
        if (!header.Contains("object_id", StringComparer.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: missing column 'object_id' (has: {string.Join(",", header)}).");

        var entries = new List<CatalogEntry>();
        while (csv.Read())
        {
            int line = csv.Parser.RawRow;
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < header.Length; i++)
                values[header[i]] = csv.TryGetField<string>(i, out var v) ? v ?? "" : "";
            entries.Add(FromFields(line, values, extra: null, images: null));
        }
        return entries;
    }

    private static List<CatalogEntry> ReadJson(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var items = document.RootElement.ValueKind switch
        {
            JsonValueKind.Array => document.RootElement,
            JsonValueKind.Object when document.RootElement.TryGetProperty("objects", out var objects) => objects,
            _ => throw new InvalidDataException($"{path}: expected a JSON array of objects (or {{\"objects\": [...]}})."),
        };
        var entries = new List<CatalogEntry>();
        int index = 0;
        foreach (var item in items.EnumerateArray())
        {
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                entries.Add(new CatalogEntry(index, null, [], "entry is not a JSON object"));
                continue;
            }
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var extra = new Dictionary<string, string>();
            var images = new List<string>();
            foreach (var property in item.EnumerateObject())
            {
                if (ImageColumns.Contains(property.Name))
                {
                    if (property.Value.ValueKind == JsonValueKind.Array)
                        images.AddRange(property.Value.EnumerateArray().Select(e => e.GetString() ?? ""));
                    else
                        images.Add(property.Value.GetString() ?? "");
                }
                else if (property.Name == "extra" && property.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in property.Value.EnumerateObject())
                        extra[field.Name] = field.Value.ToString();
                }
                else
                {
                    values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.ToString();
                }
            }
            entries.Add(FromFields(index, values, extra, images));
        }
        return entries;
    }

    private static CatalogEntry FromFields(int line, Dictionary<string, string> values, Dictionary<string, string>? extra, List<string>? images)
    {
        values.TryGetValue("object_id", out var id);
        if (string.IsNullOrWhiteSpace(id))
            return new CatalogEntry(line, null, [], "object_id is empty");
        extra ??= [];
        images ??= [];
        var record = new CulturalObject { ObjectId = id.Trim() };
        try
        {
            foreach (var (name, value) in values)
            {
                if (name.Equals("object_id", StringComparison.OrdinalIgnoreCase))
                    continue;
                if (ImageColumns.Contains(name))
                    images.AddRange(value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                else if (Fields.TryGetValue(name, out var set))
                    record = string.IsNullOrWhiteSpace(value) ? record : set(record, value.Trim());
                else if (!string.IsNullOrEmpty(value))
                    extra[name] = value;
            }
        }
        catch (FormatException e)
        {
            return new CatalogEntry(line, null, [], e.Message);
        }
        return new CatalogEntry(line, record with { Extra = extra }, images, null);
    }

    /// <summary>Rows naming the same object become one entry: the first row's record, every row's images.</summary>
    private static List<CatalogEntry> Merge(IEnumerable<CatalogEntry> entries)
    {
        var merged = new List<CatalogEntry>();
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!entry.IsValid)
            {
                merged.Add(entry);
                continue;
            }
            if (byId.TryGetValue(entry.Record!.ObjectId, out int at))
                merged[at] = merged[at] with
                {
                    ImagePaths = [.. merged[at].ImagePaths, .. entry.ImagePaths],
                    WrittenPaths = (merged[at].WrittenPaths ?? new Dictionary<string, string>()).Concat(entry.WrittenPaths ?? new Dictionary<string, string>())
                        .GroupBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal),
                };
            else
            {
                byId[entry.Record.ObjectId] = merged.Count;
                merged.Add(entry);
            }
        }
        return merged;
    }
}
