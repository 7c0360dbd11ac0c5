using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace ArtMatch.Core.Evaluation;

public sealed record EvalCatalogEntry(string ObjectId, string ImagePath, string Title, string ObjectType, string Source, string License);

/// <summary>A query photo and the objects that count as right answers (none: it must get "no match").</summary>
public sealed record EvalQuery(string ImagePath, IReadOnlyList<string> ExpectedObjectIds, string Kind, string Notes)
{
    public bool IsMatchable => ExpectedObjectIds.Count > 0;
}

/// <summary>
/// An evaluation set in the layout of shared/eval/dev: catalog.csv
/// (object_id,image,title,object_type,source,license) and queries.csv
/// (query,expected_object_id,kind,notes; an empty id means "must be no match"; a note
/// <c>also=&lt;id&gt;</c> names a second correct object). Paths are resolved against the set's folder.
/// </summary>
public sealed class EvalSet
{
    public required string Directory { get; init; }
    public required IReadOnlyList<EvalCatalogEntry> Catalog { get; init; }
    public required IReadOnlyList<EvalQuery> Queries { get; init; }

    public static EvalSet Load(string directory)
    {
        var catalogPath = Path.Combine(directory, "catalog.csv");
        var queriesPath = Path.Combine(directory, "queries.csv");
        foreach (var path in new[] { catalogPath, queriesPath })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"An evaluation set needs {Path.GetFileName(path)} in {directory}.", path);
        }

        var catalog = ReadRows(catalogPath, ["object_id", "image"], row => new EvalCatalogEntry(
            row.Get("object_id"), Path.Combine(directory, row.Get("image")), row.Get("title"),
            row.Get("object_type"), row.Get("source"), row.Get("license")));
        var queries = ReadRows(queriesPath, ["query", "expected_object_id"], row => new EvalQuery(
            Path.Combine(directory, row.Get("query")), ExpectedIds(row.Get("expected_object_id"), row.Get("notes")),
            row.Get("kind") is { Length: > 0 } kind ? kind : "unspecified", row.Get("notes")));
        return new EvalSet { Directory = directory, Catalog = catalog, Queries = queries };
    }

    internal static IReadOnlyList<string> ExpectedIds(string expected, string notes)
    {
        if (string.IsNullOrWhiteSpace(expected))
            return [];
        var ids = new List<string> { expected.Trim() };
        foreach (var part in notes.Split([';', ' ', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("also=", StringComparison.Ordinal) && part.Length > 5 && !ids.Contains(part[5..]))
                ids.Add(part[5..]);
        }
        return ids;
    }

    private static List<T> ReadRows<T>(string path, string[] required, Func<CsvRow, T> map)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { MissingFieldFound = null });
        csv.Read();
        csv.ReadHeader();
        var header = csv.HeaderRecord ?? [];
        foreach (var column in required)
        {
            if (!header.Contains(column))
                throw new InvalidDataException($"{path}: missing column '{column}' (has: {string.Join(",", header)}).");
        }
        var rows = new List<T>();
        while (csv.Read())
            rows.Add(map(new CsvRow(csv)));
        return rows;
    }

    private readonly struct CsvRow(CsvReader csv)
    {
        public string Get(string column) => csv.TryGetField<string>(column, out var value) ? value ?? "" : "";
    }
}
