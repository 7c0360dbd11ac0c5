using ArtMatch.Core.Configuration;
using ArtMatch.Server.Hosting;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>The config's second encoder (fuse): MobileNetV2 and ResNet18 from their manifests, one vector space.</summary>
public sealed class FusedEngineTests : IDisposable
{
    private readonly ArtMatchEngine _engine = ArtMatchEngine.Create(new ArtMatchConfig { Fuse = new FusionSettings { Model = "models/resnet18.json" } });

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void Create_FuseResNet18_VectorsOfBothEncodersInTheirOwnSpace()
    {
        Assert.Equal("mobilenetv2-12-int8+resnet18-mlnet-0.24", _engine.Describer.VectorSpaceId);
        Assert.Equal(1280 + 512, _engine.Describer.Dimension);
    }

    [Fact]
    public void Embed_CataloguePicture_UnitLengthAndNearerToItsEditedCopyThanToAnotherPicture()
    {
        var picture = _engine.Describer.Embed(File.ReadAllBytes(RepoPaths.DevFile("catalog/gc-painting-hokusai-bridge/1.jpg")));
        // A dev query made from that picture (turned by 11.9 degrees, corners filled with a scene) and another catalogue picture.
        var edited = _engine.Describer.Embed(File.ReadAllBytes(RepoPaths.DevFile("queries/q0423.jpg")));
        var other = _engine.Describer.Embed(File.ReadAllBytes(RepoPaths.DevFile("catalog/gc-painting-hokusai-poppies/1.jpg")));

        Assert.Equal(1.0, Math.Sqrt(picture.Sum(v => (double)v * v)), 4);
        Assert.True(Cosine(picture, edited) > Cosine(picture, other), $"to its edited copy {Cosine(picture, edited):F3}, to another {Cosine(picture, other):F3}");
    }

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
