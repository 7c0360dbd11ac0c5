using ArtMatch.Core.Embedding;
using ArtMatch.TestSupport;

namespace ArtMatch.Inference.Tests;

/// <summary>One collection so the tests that set ARTMATCH_MODEL_DIR or NUGET_PACKAGES never run alongside those that resolve manifests.</summary>
[Collection(ModelFilesCollection.Name)]
public sealed class ModelFilesTests : IDisposable
{
    private readonly string? _savedModelDir = Environment.GetEnvironmentVariable(ModelFiles.ModelDirVariable);
    private readonly string? _savedNuGet = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
    private readonly string _temp = Directory.CreateTempSubdirectory("artmatch-models-").FullName;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, _savedModelDir);
        Environment.SetEnvironmentVariable("NUGET_PACKAGES", _savedNuGet);
        Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public void Resolve_DefaultManifest_FindsTheInstalledModel()
    {
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, null);

        var model = ModelFiles.Resolve(RepoPaths.DefaultManifest);

        Assert.Equal("mobilenetv2-12-int8", model.Manifest.Id);
        Assert.Equal(Path.GetFullPath(Model.File), Path.GetFullPath(model.Path));
    }

    [Fact]
    public void Resolve_ModelDirVariableWithAnotherFile_ThrowsChecksumErrorNamingSetup()
    {
        File.WriteAllText(Path.Combine(_temp, Model.Manifest.File), "not the model");
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, _temp);

        var error = Assert.Throws<InvalidDataException>(() => ModelFiles.Resolve(RepoPaths.DefaultManifest));

        Assert.Contains(Model.Manifest.Sha256, error.Message);
        Assert.Contains("./scripts/setup.sh", error.Message);
    }

    [Fact]
    public void Resolve_ModelDirVariableWithTheModel_UsesThatFolder()
    {
        File.Copy(Model.File, Path.Combine(_temp, Model.Manifest.File));
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, _temp);

        var model = ModelFiles.Resolve(RepoPaths.DefaultManifest);

        Assert.Equal(Path.Combine(_temp, Model.Manifest.File), model.Path);
    }

    [Fact]
    public void Locate_FileNotInstalledAnywhere_ThrowsNamingTheFileAndSetup()
    {
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, _temp);
        var manifest = Model.Manifest with { File = "absent-model.onnx" };

        var error = Assert.Throws<FileNotFoundException>(() => ModelFiles.Locate(manifest, RepoPaths.DefaultManifest));

        Assert.Contains("absent-model.onnx", error.Message);
        Assert.Contains(_temp, error.Message);
        Assert.Contains("./scripts/setup.sh", error.Message);
    }

    [Fact]
    public void Resolve_MissingManifest_ThrowsFileNotFoundException()
    {
        Assert.Throws<FileNotFoundException>(() => ModelFiles.Resolve(Path.Combine(_temp, "none.json")));
    }

    [Fact]
    public void Create_ChecksumMismatch_ThrowsNamingSetup()
    {
        var manifest = Model.Manifest with { Sha256 = new string('0', 64) };

        var error = Assert.Throws<InvalidDataException>(() => OnnxFeatureExtractor.Create(manifest, Model.File));

        Assert.Contains("setup.sh", error.Message);
    }

    [Fact]
    public void Open_DefaultManifest_RunsTheModel()
    {
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, null);
        using var extractor = OnnxFeatureExtractor.Open(RepoPaths.DefaultManifest);

        var maps = extractor.Extract(Model.Noise(1, 64, 96, 9), 1, 64, 96);

        Assert.Equal((1280, 2, 3), (maps.Channels, maps.Height, maps.Width));
    }

    [Fact]
    public void Locate_FileOnlyInTheNuGetPackageTheManifestNames_FindsItInTheCache()
    {
        var packages = Path.Combine(_temp, "packages");
        var manifest = Model.Manifest with
        {
            File = "not-installed.onnx",
            NuGet = new NuGetSource { Package = "Some.Model.Package", Version = "1.2.3-Beta", Path = "tools/models/model.onnx" },
        };
        var packaged = Path.Combine(packages, "some.model.package", "1.2.3-beta", "tools", "models", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(packaged)!);
        File.Copy(Model.File, packaged);
        Environment.SetEnvironmentVariable(ModelFiles.ModelDirVariable, _temp);
        Environment.SetEnvironmentVariable("NUGET_PACKAGES", packages);

        Assert.Equal(packaged, ModelFiles.Locate(manifest, RepoPaths.DefaultManifest));

        // The packaged file is checked like any other: a different file there is refused.
        File.WriteAllText(packaged, "not the model");
        Assert.Throws<InvalidDataException>(() => ModelFiles.Locate(manifest, RepoPaths.DefaultManifest));
    }

    [Fact]
    public void Parse_NuGetPathLeavingThePackage_IsRefused()
    {
        var json = File.ReadAllText(Path.Combine(RepoPaths.ManifestDir, "resnet18.json")).Replace("tools/DnnImageModels", "../../elsewhere");

        var error = Assert.Throws<InvalidDataException>(() => ModelManifest.Parse(json));

        Assert.Contains("nuget.path", error.Message);
    }
}

[CollectionDefinition(Name)]
public sealed class ModelFilesCollection
{
    public const string Name = "model files (environment variables)";
}
