using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage;

/// <summary>What a backup or restore did.</summary>
public sealed record BackupSummary(string From, string To, long Bytes, int SchemaVersion, long Objects, double Seconds);

/// <summary>
/// Backups of a store's catalog.db through SQLite's online backup API: consistent (one snapshot of
/// the database, WAL included) while a server keeps reading and writing the store, copied page by
/// page without stopping it. The copy is written beside its destination, checked with SQLite's
/// integrity check, then renamed into place, so a crash leaves the old file or the new one, never half.
/// </summary>
public static class StoreBackup
{
    private const string DatabaseName = "catalog.db";

    /// <summary>Copies the store in <paramref name="storeDirectory"/> to the file <paramref name="toFile"/> (replaced when present).</summary>
    public static BackupSummary Backup(string storeDirectory, string toFile)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string source = Path.Combine(storeDirectory, DatabaseName);
        if (!File.Exists(source))
            throw new FileNotFoundException($"No store in {storeDirectory} (no {DatabaseName}).", source);
        string target = Path.GetFullPath(toFile);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string temporary = target + ".partial";
        File.Delete(temporary);
        using (var from = Open(source, SqliteOpenMode.ReadWrite))
        using (var to = Open(temporary, SqliteOpenMode.ReadWriteCreate))
        {
            from.BackupDatabase(to);
            Check(to, "the backup copy");
            Execute(to, "PRAGMA journal_mode=DELETE;");
        }
        File.Move(temporary, target, overwrite: true);
        return Summarise(source, target, clock);
    }

    /// <summary>
    /// Restores <paramref name="fromFile"/> (a backup) into <paramref name="storeDirectory"/>. Refuses
    /// when the directory already holds a store unless <paramref name="replace"/>; never while a server
    /// has the store open (stop it first). The file must pass SQLite's integrity check.
    /// </summary>
    public static BackupSummary Restore(string fromFile, string storeDirectory, bool replace)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!File.Exists(fromFile))
            throw new FileNotFoundException($"Backup file not found: {fromFile}", fromFile);
        Directory.CreateDirectory(storeDirectory);
        string target = Path.Combine(storeDirectory, DatabaseName);
        if (File.Exists(target) && !replace)
            throw new IOException($"{storeDirectory} already holds a store; give --replace to overwrite it (stop any server using it first).");
        string temporary = target + ".restoring";
        File.Delete(temporary);
        using (var from = Open(fromFile, SqliteOpenMode.ReadOnly))
        {
            Check(from, fromFile);
            using var to = Open(temporary, SqliteOpenMode.ReadWriteCreate);
            from.BackupDatabase(to);
        }
        // A stale WAL beside the old database would be replayed into the restored one.
        File.Delete(target + "-wal");
        File.Delete(target + "-shm");
        // The vector index's files are caches of the old database's vectors (its rowids may mean other rows here): made again on opening.
        foreach (string cache in SqliteCatalogStore.CacheFiles)
            File.Delete(Path.Combine(storeDirectory, cache));
        File.Move(temporary, target, overwrite: true);
        return Summarise(fromFile, target, clock);
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout=5000;");
        return connection;
    }

    private static void Check(SqliteConnection connection, string what)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        string result;
        try
        {
            result = command.ExecuteScalar() as string ?? "";
        }
        catch (SqliteException e)
        {
            throw new InvalidDataException($"{what} is not an ArtMatch store: {e.Message}", e);
        }
        if (result != "ok")
            throw new InvalidDataException($"{what} fails SQLite's integrity check: {result}");
        using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'objects';";
        if (Convert.ToInt64(tables.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            throw new InvalidDataException($"{what} is not an ArtMatch store (no objects table).");
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static BackupSummary Summarise(string from, string to, System.Diagnostics.Stopwatch clock)
    {
        using var connection = Open(to, SqliteOpenMode.ReadOnly);
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        int schema = Convert.ToInt32(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM objects;";
        long objects = Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        return new BackupSummary(from, to, new FileInfo(to).Length, schema, objects, clock.Elapsed.TotalSeconds);
    }
}
