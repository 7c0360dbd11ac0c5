using System.Globalization;
using System.Text;
using ArtMatch.Core.Catalog;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>Keyword search over the records (SQLite FTS5) with the same field filters as vector search.</summary>
public sealed partial class SqliteCatalogStore
{
    /// <summary>
    /// Records whose title, maker, inscriptions or description contain every word of <paramref name="text"/>
    /// (best match first), restricted by <paramref name="filter"/>. Empty text lists filtered records by id.
    /// </summary>
    public IReadOnlyList<CulturalObject> SearchText(string? text, SearchFilter filter, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var sql = new StringBuilder();
        var parameters = new List<(string, object?)>();
        var match = FtsQuery(text);
        string columns = string.Join(", ", ObjectRows.Columns.Split(", ").Select(c => "o." + c));
        if (match is null)
            sql.Append($"SELECT {columns} FROM objects o WHERE 1 = 1");
        else
        {
            sql.Append($"SELECT {columns} FROM objects_fts f JOIN objects o ON o.object_id = f.object_id WHERE objects_fts MATCH $match");
            parameters.Add(("$match", match));
        }
        AddIn(sql, parameters, "registry", filter.Registries);
        AddIn(sql, parameters, "status", filter.Statuses?.Select(s => s.ToString()).ToList());
        AddIn(sql, parameters, "object_type", filter.ObjectTypes);
        AddIn(sql, parameters, "country", filter.Countries);
        sql.Append(match is null ? " ORDER BY o.object_id" : " ORDER BY f.rank, o.object_id").Append(" LIMIT $limit");
        parameters.Add(("$limit", Math.Max(0, limit)));
        lock (_dbLock)
        {
            using var command = Command(sql.ToString(), [.. parameters]);
            using var reader = command.ExecuteReader();
            var found = new List<CulturalObject>();
            while (reader.Read())
                found.Add(ObjectRows.Read(reader));
            return found;
        }
    }

    /// <summary>
    /// The user's words as FTS5 strings ("word"), implicitly ANDed. Only letters and digits reach
    /// SQLite, each inside quotes, so operators, columns filters, '*', '^' and NEAR in the input are plain text.
    /// Null when there is no word.
    /// </summary>
    internal static string? FtsQuery(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text + " ")
        {
            if (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
                word.Append(c);
            else if (word.Length > 0)
            {
                words.Add("\"" + word + "\"");
                word.Clear();
            }
        }
        return words.Count == 0 ? null : string.Join(" ", words);
    }

    private static void AddIn(StringBuilder sql, List<(string, object?)> parameters, string column, IReadOnlyCollection<string>? values)
    {
        if (values is null)
            return;
        var names = new List<string>();
        foreach (var value in values)
        {
            string name = $"${column}{names.Count}";
            parameters.Add((name, value));
            names.Add(name);
        }
        // NOCASE like the in-memory filter, so text and vector search agree.
        sql.Append(names.Count == 0 ? " AND 0" : $" AND o.{column} COLLATE NOCASE IN ({string.Join(", ", names)})");
    }
}
