using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Tests.Sift;

public sealed class SiftIndexTests
{
    [Fact]
    public void FeatureSetCodec_RoundTrip_KeepsPointsWithinItsPrecision()
    {
        var random = new Random(4);
        var points = Enumerable.Range(0, 50).Select(_ => new FeaturePoint(random.NextSingle() * 639, random.NextSingle() * 479, 1 + random.NextSingle() * 40, random.NextSingle() * 360)).ToArray();
        var descriptors = new byte[50 * FeatureSet.DescriptorLength];
        random.NextBytes(descriptors);

        var back = FeatureSetCodec.FromBytes(FeatureSetCodec.ToBytes(new FeatureSet(640, 480, points, descriptors)));

        Assert.Equal((640, 480), (back.Width, back.Height));
        Assert.Equal(descriptors, back.Descriptors);
        for (int i = 0; i < points.Length; i++)
        {
            Assert.InRange(back.Points[i].X - points[i].X, -1 / 32f, 1 / 32f);
            Assert.InRange(back.Points[i].Y - points[i].Y, -1 / 32f, 1 / 32f);
            Assert.InRange(back.Points[i].Size / points[i].Size, 0.99f, 1.01f);
            Assert.InRange(Math.Abs(back.Points[i].Angle - points[i].Angle) % 360, 0, 0.01f);
        }
        Assert.Equal(16 + 50 * FeatureSetCodec.BytesPerFeature, FeatureSetCodec.ToBytes(back).Length);
    }

    [Fact]
    public void FeatureSetCodec_Truncated_Refused() =>
        Assert.Throws<InvalidDataException>(() => FeatureSetCodec.FromBytes(FeatureSetCodec.ToBytes(new FeatureSet(8, 8, [new(1, 1, 2, 0)], new byte[128]))[..100]));

    [Fact]
    public void Search_PictureSharingTheRareWords_RanksFirst()
    {
        var file = new SiftInvertedFile(100);
        // Word 0 is in every picture (little information); each picture has its own rare words.
        for (int p = 0; p < 10; p++)
            file.Add($"obj-{p}", $"img-{p}", [0, 0, 0, (ushort)(10 + p), (ushort)(20 + p), (ushort)(30 + p)]);

        var hits = file.Search([0, 0, 0, 0, 13, 23, 99], 3);

        Assert.Equal("obj-3", hits[0].ObjectId);
        Assert.True(hits[0].Score > 0.5f, $"{hits[0].Score}");
        Assert.True(hits.Count == 1 || hits[1].Score < hits[0].Score / 2);
    }

    [Fact]
    public void Search_RemovedOrFilteredObjects_NotFound()
    {
        var file = new SiftInvertedFile(10);
        file.Add("a", "img-a", [1, 2, 3]);
        file.Add("b", "img-b", [1, 2, 4]);
        file.Add("c", "img-c", [5, 6, 7]);

        file.RemoveObject("a");

        Assert.Equal(["b"], file.Search([1, 2, 3], 5).Select(h => h.ObjectId));
        Assert.Empty(file.Search([1, 2, 3], 5, id => id != "b"));
        Assert.Equal(2, file.Count);
        Assert.Throws<ArgumentException>(() => file.Add("d", "img-d", [10]));
    }
}
