using ArtMatch.Core.Catalog;
using ArtMatch.Core.Import;

namespace ArtMatch.Core.Tests.Import;

public sealed class CatalogFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("artmatch-catalogfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Read_CsvWithObjectIdFields_MapsEveryFieldAndKeepsUnknownColumnsAsExtra()
    {
        var path = Write("c.csv",
            "object_id,image,title,object_type,object_subtype,materials,techniques,measurements,inscriptions,distinguishing_features,subject,date_or_period,maker,description,inventory_number,place_of_origin,registry,status,country,date_reported,license\n" +
            "A1,img/a.jpg,Icon,painting,icon,tempera,gilding,30x20 cm,IC XC,crack lower left,Christ,16th c.,unknown,An icon,INV-7,Crete,INTERPOL,stolen,GR,2024-05-31,CC-BY\n");

        var entry = Assert.Single(CatalogFile.Read(path));

        Assert.True(entry.IsValid);
        var r = entry.Record!;
        Assert.Equal("A1", r.ObjectId);
        Assert.Equal(("painting", "icon"), (r.ObjectType, r.ObjectSubtype));
        Assert.Equal("tempera; gilding", r.MaterialsAndTechniques);
        Assert.Equal("IC XC", r.InscriptionsAndMarkings);
        Assert.Equal(ObjectStatus.Stolen, r.Status);
        Assert.Equal(new DateOnly(2024, 5, 31), r.DateReported);
        Assert.Equal("CC-BY", r.Extra["license"]);
        Assert.Equal(Path.Combine(_dir, "img", "a.jpg"), Assert.Single(entry.ImagePaths));
    }

    [Fact]
    public void Read_SeveralRowsOfOneObject_MergesTheirImages()
    {
        var path = Write("c.csv", "object_id,image,title\nA,1.jpg,First\nB,2.jpg,Other\nA,3.jpg,First again\n");

        var entries = CatalogFile.Read(path);

        Assert.Equal(2, entries.Count);
        Assert.Equal(["1.jpg", "3.jpg"], entries[0].ImagePaths.Select(Path.GetFileName));
        Assert.Equal("First", entries[0].Record!.Title);
    }

    [Fact]
    public void Read_BadRows_AreReportedWithTheirLineAndTheRestKept()
    {
        var path = Write("c.csv", "object_id,image,status,date_reported\n,a.jpg,,\nB,b.jpg,borrowed,\nC,c.jpg,,31/05/2024\nD,d.jpg,missing,\n");

        var entries = CatalogFile.Read(path);

        var bad = entries.Where(e => !e.IsValid).ToList();
        Assert.Equal([2, 3, 4], bad.Select(e => e.Line));
        Assert.Contains("object_id", bad[0].Error);
        Assert.Contains("borrowed", bad[1].Error);
        Assert.Contains("31/05/2024", bad[2].Error);
        Assert.Equal(ObjectStatus.Missing, Assert.Single(entries, e => e.IsValid).Record!.Status);
    }

    [Fact]
    public void Read_Json_ReadsImagesListAndExtraObject()
    {
        var path = Write("c.json", """
            [ { "object_id": "J1", "title": "Vase", "maker": "Exekias", "status": "red_list_exemplar",
                "images": ["v1.jpg", "v2.jpg"], "extra": { "source": "museum" } },
              "not an object" ]
            """);

        var entries = CatalogFile.Read(path);

        Assert.Equal(2, entries.Count);
        Assert.Equal(ObjectStatus.RedListExemplar, entries[0].Record!.Status);
        Assert.Equal("Exekias", entries[0].Record!.Maker);
        Assert.Equal(2, entries[0].ImagePaths.Count);
        Assert.Equal("museum", entries[0].Record!.Extra["source"]);
        Assert.False(entries[1].IsValid);
    }

    [Fact]
    public void Read_CsvWithoutObjectIdColumn_ThrowsNamingTheColumns()
    {
        var path = Write("c.csv", "id,image\nA,a.jpg\n");

        var error = Assert.Throws<InvalidDataException>(() => CatalogFile.Read(path));

        Assert.Contains("object_id", error.Message);
    }
}
