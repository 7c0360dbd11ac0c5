using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage.Tests;

public class TextSearchTests
{
    private static SqliteCatalogStore Seeded(TempStore temp)
    {
        var store = temp.Open();
        var random = new Random(40);
        store.Upsert(TempStore.Record("P1") with { Maker = "Jan Vermeer", Title = "Girl reading a letter" }, [TempStore.Image(random, "a")]);
        store.Upsert(TempStore.Record("P2", type: "manuscript", country: "HU") with { InscriptionsAndMarkings = "Ex libris Bibliotheca Corviniana" }, [TempStore.Image(random, "b")]);
        store.Upsert(TempStore.Record("P3", registry: "ICOM", status: ObjectStatus.Recovered) with { Maker = "Vermeer workshop", Description = "Copy after a lost original" }, []);
        store.Upsert(TempStore.Record("P4", country: "IT") with { Title = "Madonna (fragment) OR NOT", Subject = "Café scene, Ñandú" }, []);
        return store;
    }

    private static string[] Ids(IEnumerable<CulturalObject> found) => found.Select(o => o.ObjectId).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void SearchText_Maker_FindsEveryObjectByThatMaker()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        Assert.Equal(["P1", "P3"], Ids(store.SearchText("vermeer", SearchFilter.None, 10)));
        Assert.Equal(["P1"], Ids(store.SearchText("Jan Vermeer", SearchFilter.None, 10)));
    }

    [Fact]
    public void SearchText_InscriptionWord_FindsTheObject()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        Assert.Equal(["P2"], Ids(store.SearchText("Corviniana", SearchFilter.None, 10)));
    }

    [Fact]
    public void SearchText_DescriptionSubjectAndAccents_AreSearchable()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        Assert.Equal(["P3"], Ids(store.SearchText("lost original", SearchFilter.None, 10)));
        Assert.Equal(["P4"], Ids(store.SearchText("cafe nandu", SearchFilter.None, 10)));
    }

    [Theory]
    [InlineData("\"foo\" OR NOT *", "")]
    [InlineData("NEAR(", "")]
    [InlineData("title:vermeer OR maker:*", "")]
    [InlineData("\"", "P1,P2,P3,P4")]
    [InlineData("-vermeer ^girl", "P1")]
    [InlineData("Vermeer*", "P1,P3")]
    [InlineData("vermeer\" OR \"corviniana", "")]
    [InlineData("'; DROP TABLE objects; --", "")]
    public void SearchText_HostileInput_IsTreatedAsPlainWords(string hostile, string expected)
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        var found = store.SearchText(hostile, SearchFilter.None, 10);

        // Every word must appear in the record; the syntax characters mean nothing.
        Assert.Equal(expected, string.Join(",", Ids(found)));
        Assert.Equal(4, store.ObjectCount);
    }

    [Fact]
    public void SearchText_OperatorWordsInTheRecord_AreFoundAsWords()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        Assert.Equal(["P4"], Ids(store.SearchText("madonna OR NOT", SearchFilter.None, 10)));
        Assert.Equal(["P4"], Ids(store.SearchText("(fragment)", SearchFilter.None, 10)));
    }

    [Fact]
    public void SearchText_WithFilters_RestrictsTheMatches()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        Assert.Equal(["P3"], Ids(store.SearchText("Vermeer", new SearchFilter { Registries = ["icom"] }, 10)));
        Assert.Equal(["P1"], Ids(store.SearchText("Vermeer", new SearchFilter { Statuses = [ObjectStatus.Stolen] }, 10)));
        Assert.Empty(store.SearchText("Vermeer", new SearchFilter { ObjectTypes = ["manuscript"] }, 10));
        Assert.Empty(store.SearchText("Vermeer", new SearchFilter { Countries = ["HU"] }, 10));
    }

    [Fact]
    public void SearchText_EmptyText_IsFilterOnlyAndHonoursLimit()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        Assert.Equal(["P1", "P2", "P3", "P4"], Ids(store.SearchText(null, SearchFilter.None, 10)));
        Assert.Equal(["P1", "P2", "P3", "P4"], Ids(store.SearchText("  ", SearchFilter.None, 10)));
        Assert.Equal(["P2"], Ids(store.SearchText("", new SearchFilter { Countries = ["hu"] }, 10)));
        Assert.Equal(["P2", "P4"], Ids(store.SearchText(null, new SearchFilter { Countries = ["HU", "IT"] }, 10)));
        Assert.Equal(["P3"], Ids(store.SearchText(null, new SearchFilter { Statuses = [ObjectStatus.Recovered] }, 10)));
        Assert.Equal(["P2"], Ids(store.SearchText(null, new SearchFilter { ObjectTypes = ["MANUSCRIPT"] }, 10)));
        Assert.Equal(2, store.SearchText(null, SearchFilter.None, 2).Count);
    }

    [Fact]
    public void SearchText_AfterUpdate_FindsOnlyTheNewText()
    {
        using var temp = new TempStore();
        using var store = Seeded(temp);

        store.Upsert(TempStore.Record("P1") with { Maker = "Pieter de Hooch" }, []);

        Assert.Equal(["P3"], Ids(store.SearchText("vermeer", SearchFilter.None, 10)));
        Assert.Equal(["P1"], Ids(store.SearchText("hooch", SearchFilter.None, 10)));
        using var raw = temp.Raw();
        Assert.Equal(4, raw.Count("objects_fts"));
    }

    [Theory]
    [InlineData("\"foo\" OR NOT *", "\"foo\" \"OR\" \"NOT\"")]
    [InlineData("Jan  Vermeer", "\"Jan\" \"Vermeer\"")]
    [InlineData("*^:()", null)]
    [InlineData(null, null)]
    public void FtsQuery_UserText_BecomesQuotedWords(string? text, string? expected)
    {
        Assert.Equal(expected, SqliteCatalogStore.FtsQuery(text));
    }
}
