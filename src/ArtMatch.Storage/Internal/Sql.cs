using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Storage.Internal;

/// <summary>Small helpers for parameterised commands on one connection.</summary>
internal static class Sql
{
    public static SqliteCommand Command(SqliteConnection db, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static T Scalar<T>(SqliteConnection db, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(db, sql, parameters);
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }

    public static int Execute(SqliteConnection db, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(db, sql, parameters);
        return command.ExecuteNonQuery();
    }
}
