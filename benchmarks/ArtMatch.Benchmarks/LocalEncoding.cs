using System.Diagnostics;
using System.Text.Json;
using ArtMatch.Core.Matching.Stages;
using ArtMatch.Core.Configuration;
using ArtMatch.Server.Hosting;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Benchmarks;

/// <summary>
/// What verification's stored data costs a picture, and the migration to the compact encoding, on a store
/// already built: <c>local-encoding STORE recode</c> opens the store (a schema 8 store is upgraded and its
/// rows listed), re-encodes them as the product does in the background and reports the bytes per picture
/// before and after and the time; <c>local-encoding STORE compact|float32|float16</c> rewrites every row in
/// that encoding (to compare the answers each gives with <c>match-answers</c>);
/// <c>local-encoding STORE read OTHER</c> times the first load of 10 pictures' stored data (what verifying 10
/// leaders reads on a first visit, stage-parts' <c>verify_pictures_stored</c>) from each of two stores of the same
/// pictures in turn, so that the machine's load falls on both alike. One JSON line.
/// </summary>
public static class LocalEncoding
{
    public static int Run(string[] args)
    {
        string storePath = args[0], mode = args[1];
        if (mode == "read")
            return ReadBoth(storePath, args[2]);
        string database = Path.Combine(storePath, "catalog.db");
        var before = Sizes(database);
        var clock = Stopwatch.StartNew();
        int rows;
        if (mode == "recode")
        {
            using var engine = ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(storePath);
            rows = engine.RequireStore().RecodeCatalogueLocal();
        }
        else
        {
            rows = Rewrite(database, Enum.Parse<CatalogueLocalEncoding>(mode, ignoreCase: true));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var after = Sizes(database);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mode, rows, seconds = Math.Round(seconds, 1),
            bytes_before = before, bytes_after = after,
            catalog_db_bytes = new FileInfo(database).Length,
        }));
        return 0;
    }

    private static int ReadBoth(string first, string second)
    {
        var engines = new[] { first, second }.Select(path => ArtMatchEngine.Create(new ArtMatchConfig()).OpenStore(path)).ToList();
        var stores = engines.Select(engine => engine.RequireStore()).ToList();
        var images = ImageIds(Path.Combine(first, "catalog.db"));
        var times = new[] { new List<double>(), new List<double>() };
        for (int start = 0; start + 10 <= images.Count; start += 10)
        {
            var leaders = images.GetRange(start, 10);
            for (int which = 0; which < 2; which++)
            {
                long began = Stopwatch.GetTimestamp();
                foreach (var id in leaders)
                    _ = stores[which].GetCatalogueLocal(id) ?? throw new InvalidOperationException($"No stored data for {id}.");
                times[which].Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
            }
        }
        foreach (var engine in engines)
            engine.Dispose();
        Console.WriteLine(JsonSerializer.Serialize(new[] { first, second }.Select((path, which) => new
        {
            store = path,
            groups_of_10 = times[which].Count,
            p50_ms = Math.Round(times[which].Order().ElementAt(times[which].Count / 2), 2),
            mean_ms = Math.Round(times[which].Average(), 2),
        })));
        return 0;
    }

    private static List<string> ImageIds(string database)
    {
        using var db = Open(database);
        using var command = db.CreateCommand();
        command.CommandText = "SELECT DISTINCT image_id FROM catalogue_local ORDER BY image_id";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    private static int Rewrite(string database, CatalogueLocalEncoding encoding)
    {
        using var db = Open(database);
        var ids = new List<long>();
        using (var list = db.CreateCommand())
        {
            list.CommandText = "SELECT rowid FROM catalogue_local ORDER BY rowid";
            using var reader = list.ExecuteReader();
            while (reader.Read())
                ids.Add(reader.GetInt64(0));
        }
        foreach (var id in ids)
        {
            using var read = db.CreateCommand();
            read.CommandText = "SELECT data FROM catalogue_local WHERE rowid = $id";
            read.Parameters.AddWithValue("$id", id);
            var local = CatalogueLocalCodec.FromBytes((byte[])read.ExecuteScalar()!);
            using var write = db.CreateCommand();
            write.CommandText = "UPDATE catalogue_local SET data = $data WHERE rowid = $id";
            write.Parameters.AddWithValue("$data", CatalogueLocalCodec.ToBytes(local, encoding));
            write.Parameters.AddWithValue("$id", id);
            write.ExecuteNonQuery();
        }
        return ids.Count;
    }

    private static object Sizes(string database)
    {
        using var db = Open(database);
        using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*), AVG(length(data)), MIN(length(data)), MAX(length(data)), SUM(length(data)) FROM catalogue_local";
        using var reader = command.ExecuteReader();
        reader.Read();
        return new { rows = reader.GetInt64(0), mean = Math.Round(reader.GetDouble(1)), min = reader.GetInt64(2), max = reader.GetInt64(3), total = reader.GetInt64(4) };
    }

    private static SqliteConnection Open(string database)
    {
        var db = new SqliteConnection($"Data Source={database};Pooling=False");
        db.Open();
        return db;
    }
}
