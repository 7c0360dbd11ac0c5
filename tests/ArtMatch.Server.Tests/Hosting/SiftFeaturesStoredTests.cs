using ArtMatch.Core.Configuration;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Sift;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;
using ArtMatch.TestSupport;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>
/// The "possible" check's catalogue SIFT features stored at import with the SIFT search off (real
/// pictures, OpenCV's SIFT, SQLite): the same features as detected from the stored bytes (positions
/// within the codec's 1/16 pixel), no vocabulary learned, and a store written without them filled by the backfill.
/// </summary>
public sealed class SiftFeaturesStoredTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("artmatch-siftstored-").FullName;

    private static readonly ArtMatchConfig Evidence = new() { Match = new MatchSettings { SiftEvidence = new SiftEvidenceSettings { Floor = 4 } } };

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public void Import_EvidenceOn_StoresFeaturesAsDetectedFromTheBytes_AndABackfilledStoreGivesTheSameInliers()
    {
        // Object 5 is Dürer's lion; q0094 a dev photo of it seen at a tilt.
        var objects = EngineFixture.DevObjects(6);
        var ids = new List<string>();
        byte[][] stored;
        int inliersStored, inliersElsewhere;
        using (var engine = ArtMatchEngine.Create(Evidence).OpenStore(_store))
        {
            EngineFixture.ImportInto(engine, _store, objects);
            var store = engine.RequireStore();
            Assert.Empty(store.ImagesWithoutSiftFeatures());
            Assert.Null(store.SiftVocabulary);
            Assert.Null(engine.Sift);
            foreach (var (id, _) in objects)
                ids.Add(store.GetImages(id)[0].ImageId);
            stored = ids.Select(id => FeatureSetCodec.ToBytes(store.GetSiftFeatures(id)!)).ToArray();
            foreach (var imageId in ids)
                AssertSameFeatures(engine.Importer!.Sift!.Describe(engine.Describer.Decode(store.GetImageBytes(imageId)!), forCatalogue: true), store.GetSiftFeatures(imageId)!);
            (inliersStored, inliersElsewhere) = Inliers(engine, objects);
        }
        Assert.True(inliersStored >= 20 && inliersElsewhere < inliersStored / 4, $"{inliersStored} inliers on the photographed object, {inliersElsewhere} on another");

        // A store written before they were kept: read cold (detected from the bytes) until the backfill makes them, the same again.
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(_store, "catalog.db")}"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "DELETE FROM sift_features";
            command.ExecuteNonQuery();
        }
        using (var engine = ArtMatchEngine.Create(Evidence).OpenStore(_store))
        {
            var store = engine.RequireStore();
            Assert.Equal(ids.Order(StringComparer.Ordinal), store.ImagesWithoutSiftFeatures().Order(StringComparer.Ordinal));
            Assert.Equal((inliersStored, inliersElsewhere), Inliers(engine, objects));
            Assert.Equal((ids.Count, false), engine.Importer!.BackfillSift());
            Assert.Empty(store.ImagesWithoutSiftFeatures());
            Assert.Null(store.SiftVocabulary);
            for (int i = 0; i < ids.Count; i++)
                Assert.Equal(stored[i], FeatureSetCodec.ToBytes(store.GetSiftFeatures(ids[i])!));
            Assert.Equal((inliersStored, inliersElsewhere), Inliers(engine, objects));
        }
    }

    /// <summary>The check's inliers of the lion photo on its object and on another painting (object 2).</summary>
    private static (int Right, int Wrong) Inliers(ArtMatchEngine engine, IReadOnlyList<(string Id, string Image)> objects)
    {
        var evidence = engine.NewSiftEvidence(new SiftEvidenceSettings { Floor = 4 });
        var photo = evidence.Describe(engine.Describer.Decode(File.ReadAllBytes(RepoPaths.DevFile("queries/q0094.jpg"))));
        return (evidence.Inliers(photo, objects[5].Id), evidence.Inliers(photo, objects[2].Id));
    }

    /// <summary>Descriptors to the byte; geometry within the codec's steps (1/16 pixel, a half float's size, 1/65536 turn).</summary>
    private static void AssertSameFeatures(FeatureSet detected, FeatureSet stored)
    {
        Assert.Equal((detected.Width, detected.Height, detected.Count), (stored.Width, stored.Height, stored.Count));
        Assert.True(detected.Count > 100, $"{detected.Count} features");
        Assert.Equal(detected.Descriptors, stored.Descriptors);
        for (int i = 0; i < detected.Count; i++)
        {
            FeaturePoint a = detected.Points[i], b = stored.Points[i];
            Assert.True(Math.Abs(a.X - b.X) <= 1 / 32f && Math.Abs(a.Y - b.Y) <= 1 / 32f, $"feature {i}: ({a.X}, {a.Y}) stored as ({b.X}, {b.Y})");
            Assert.True(Math.Abs(a.Size - b.Size) <= a.Size / 1000 + 1e-3f, $"feature {i}: size {a.Size} stored as {b.Size}");
            float turn = Math.Abs(a.Angle - b.Angle) % 360;
            Assert.True(Math.Min(turn, 360 - turn) <= 360f / 65536, $"feature {i}: angle {a.Angle} stored as {b.Angle}");
        }
    }
}
