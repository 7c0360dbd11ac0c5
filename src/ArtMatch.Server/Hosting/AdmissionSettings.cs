namespace ArtMatch.Server.Hosting;

/// <summary>
/// How much photo work (Match, ScreenBatch items, photos of UpsertObject/AddImages) the server takes
/// on at once. Work beyond it is refused at once with RESOURCE_EXHAUSTED rather than queued without
/// bound, so admitted calls keep their latency and a busy caller cannot starve the others.
/// </summary>
public sealed record AdmissionSettings
{
    /// <summary>Photos worked on at the same time; default one per core (each decode and inference uses a core).</summary>
    public int MaxRunning { get; init; } = Environment.ProcessorCount;

    /// <summary>Photos waiting for a worker beyond <see cref="MaxRunning"/>; default two per core.</summary>
    public int MaxWaiting { get; init; } = 2 * Environment.ProcessorCount;

    /// <summary>Photos one caller (API key, or client address without keys) may have running or waiting; default half of running plus waiting.</summary>
    public int MaxPerCaller { get; init; } = Math.Max(1, 3 * Environment.ProcessorCount / 2);

    /// <summary>
    /// Photos one caller is sure to have running at once (its share); default all workers but one, so
    /// that a caller flooding the server (decompression bombs, a big batch) always leaves a worker for
    /// the others. Work-conserving: a caller alone is lent the idle workers beyond its share, and a
    /// caller under its share starts at once even while workers are lent (see <see cref="AdmissionControl"/>).
    /// </summary>
    public int MaxRunningPerCaller { get; init; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>Encoded bytes of photos admitted and not finished, all callers together (the memory ceiling for in-flight photos).</summary>
    public long MaxInFlightBytes { get; init; } = 256L * 1024 * 1024;
}
