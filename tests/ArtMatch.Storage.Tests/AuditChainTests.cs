using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage.Tests;

/// <summary>The audit log's hash chain: intact after writes; an edited or deleted entry is found; older stores are chained on upgrade.</summary>
public sealed class AuditChainTests
{
    private static CulturalObject Record(string id) => new() { ObjectId = id, Title = $"Title {id}" };

    /// <summary>Someone with write access to the file, behind the store's back.</summary>
    private static void Tamper(TempStore temp, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Write(SqliteCatalogStore store, int count)
    {
        var random = new Random(3);
        for (int i = 0; i < count; i++)
            store.Upsert(Record($"A-{i}"), [TempStore.Image(random, "front")], actor: $"partner-{i % 2}");
        store.Audit("officer-1", "match", "A-1", "verdict=match");
    }

    [Fact]
    public void Writes_ChainVerifies_HeadChangesWithEachEntry()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        Write(store, 3);
        var before = store.VerifyAudit();
        store.Delete("A-0", "admin-1");
        var after = store.VerifyAudit();

        Assert.True(before.Valid);
        Assert.True(after.Valid);
        Assert.Equal(before.Entries + 1, after.Entries);
        Assert.NotEqual(before.Head, after.Head);
    }

    [Fact]
    public void EntriesCutFromTheEnd_VerifyWithTheKeptHeadFails_WithoutItTheShorterChainVerifies()
    {
        using var temp = new TempStore();
        AuditVerification kept;
        using (var store = temp.Open())
        {
            Write(store, 3);
            kept = store.VerifyAudit();
        }
        Tamper(temp, "DELETE FROM audit_log WHERE id >= (SELECT MAX(id) - 1 FROM audit_log)");

        var without = SqliteCatalogStore.VerifyAudit(temp.Directory);
        var with = SqliteCatalogStore.VerifyAudit(temp.Directory, AuditAnchor.Parse(kept.Anchor.ToString()));

        Assert.True(without.Valid);
        Assert.False(with.Valid);
        Assert.Equal(kept.Entries - 2, with.Entries);
        Assert.Contains("2 entries were cut from the end", with.Problem);
    }

    [Fact]
    public void KeptHeadAtAnEarlierEntry_LaterWritesStillVerify_AnotherHashThereFails()
    {
        using var temp = new TempStore();
        using var store = temp.Open();
        Write(store, 2);
        var kept = store.VerifyAudit().Anchor;
        store.Delete("A-0", "admin-1");

        Assert.True(store.VerifyAudit(kept).Valid);
        var forged = store.VerifyAudit(kept with { Head = new string('0', 64) });
        Assert.False(forged.Valid);
        Assert.Contains($"entry {kept.Entries} is not the kept head", forged.Problem);
    }

    [Theory]
    [InlineData("12")]
    [InlineData("x:abc")]
    [InlineData("0:0000000000000000000000000000000000000000000000000000000000000000")]
    public void Anchor_NotEntriesColonHash_FormatExceptionSayingTheForm(string text) =>
        Assert.Contains("expected ENTRIES:HASH", Assert.Throws<FormatException>(() => AuditAnchor.Parse(text)).Message);

    [Theory]
    [InlineData("UPDATE audit_log SET actor = 'someone-else' WHERE id = 2")]
    [InlineData("DELETE FROM audit_log WHERE id = 2")]
    [InlineData("UPDATE audit_log SET detail = 'verdict=no_match' WHERE action = 'match'")]
    public void EntryEditedOrDeleted_VerifyNamesWhereTheChainBreaks(string tamper)
    {
        using var temp = new TempStore();
        using (var store = temp.Open())
            Write(store, 3);
        Tamper(temp, tamper);

        var verification = SqliteCatalogStore.VerifyAudit(temp.Directory);

        Assert.False(verification.Valid);
        Assert.NotNull(verification.BrokenAt);
    }

    [Fact]
    public void Version5Store_UpgradedWithItsEntriesChained()
    {
        using var temp = new TempStore();
        using (var store = temp.Open())
            Write(store, 2);
        Tamper(temp, "ALTER TABLE audit_log DROP COLUMN hash; PRAGMA user_version = 5;");

        using var reopened = temp.Open();
        var verification = reopened.VerifyAudit();

        Assert.True(verification.Valid);
        Assert.Equal(3, verification.Entries);
    }
}
