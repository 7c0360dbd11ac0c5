using System.Text.Json;
using System.Text.Json.Serialization;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Matching;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Configuration;

/// <summary>
/// A deployment's settings, read from a JSON file (<c>--config</c>); every field is optional and
/// falls back to the product defaults. Thresholds live here so a registry can make the tool
/// stricter or more sensitive without a rebuild.
/// </summary>
public sealed record ArtMatchConfig
{
    /// <summary>Model manifest path (relative paths resolve against the repository root).</summary>
    public string? Model { get; init; }

    /// <summary>A second encoder fused with the model (null, the default: the model alone).</summary>
    public FusionSettings? Fuse { get; init; }

    public DescriberSettings Describer { get; init; } = new();

    public MatchSettings Match { get; init; } = new();

    /// <summary>
    /// The SIFT local-feature search (features at import, visual words, verification); null (the default)
    /// turns it off: measured, it did not pay for its cost yet (benchmarks/RESULTS.md, issue 18).
    /// </summary>
    public SiftSettings? Sift { get; init; }

    /// <summary>Where the vectors live: the embedded index (default) or a Qdrant server.</summary>
    public VectorIndexSettings Index { get; init; } = new();

    /// <summary>API keys file for the server (see README); none means no authentication.</summary>
    public string? ApiKeys { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static ArtMatchConfig Load(string? path)
    {
        if (path is null)
            return new ArtMatchConfig();
        if (!File.Exists(path))
            throw new FileNotFoundException($"Config file not found: {path}", path);
        ArtMatchConfig config;
        try
        {
            config = JsonSerializer.Deserialize<ArtMatchConfig>(File.ReadAllText(path), JsonOptions) ?? new ArtMatchConfig();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Config file {path}: {e.Message}", e);
        }
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Config file {path}: {e.Message}", e);
        }
        return config;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first setting whose value cannot work (the
    /// embedded index's search settings, the verdict thresholds, the cascade's rules), so that a bad file fails on load, not
    /// on the first photo.
    /// </summary>
    public void Validate()
    {
        Index.Embedded.Validate();
        Match.Validate();
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
