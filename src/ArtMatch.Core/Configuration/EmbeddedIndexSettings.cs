namespace ArtMatch.Core.Configuration;

/// <summary>
/// How the embedded vector index holds and searches its rows (<c>index.embedded</c> in the config file).
/// </summary>
public sealed record EmbeddedIndexSettings
{
    /// <summary>
    /// Once the catalogue's whitening is learned, keep each row once, whitened and projected to its 512
    /// strongest directions as int8 with a float scale (512 bytes a row instead of 10 KB of plain and
    /// whitened float32), and take each hit's plain cosine from the store's float vectors. False: the
    /// float rows and their whitened copy stay in memory (exact whitened scores).
    /// </summary>
    public bool Compact { get; init; } = true;

    /// <summary>
    /// Keep the compact rows in a memory-mapped file beside the store (DIRECTORY/vectors.rows: a cache SQLite's
    /// vectors can always make again) instead of the managed heap: opening maps it instead of projecting every
    /// vector, and the resident memory is the pages searches touch. False: the rows are projected into memory
    /// on every opening.
    /// </summary>
    public bool MapRows { get; init; } = true;

    /// <summary>
    /// From this many rows on (about 6,500 pictures of 31 rows), compact rows are searched through an
    /// inverted file (k-means lists over the rows, learned in the background; the exact scan answers
    /// meanwhile) instead of scanning every row.
    /// </summary>
    public int ApproximateAboveRows { get; init; } = 200_000;

    /// <summary>
    /// Lists of the inverted file scanned per query at least (about a thousand rows each; <see cref="ProbedListShare"/>
    /// scans more of a large catalogue's lists): more finds more, slower.
    /// At 100,000 pictures (3.1M rows, 3126 lists) recall@10 was the same from 16 to 256 probes (0.9865,
    /// benchmarks/RESULTS.md); catalogues just past <see cref="ApproximateAboveRows"/> have fewer, larger
    /// lists and may want more.
    /// </summary>
    public int Probes { get; init; } = 16;

    /// <summary>
    /// Share of the inverted file's lists scanned per query when that is more than <see cref="Probes"/>: the
    /// lists multiply as a catalogue grows (about one per 1,900 rows from a million pictures on), and a fixed
    /// number of probes would scan an ever smaller part of it. At 100,000 pictures 16 probes held recall over
    /// 3,126 lists (1 in 195) but not quite over 6,032 (1 in 377, benchmarks/RESULTS.md); one list in 256 sits
    /// between. 0: exactly <see cref="Probes"/>.
    /// </summary>
    public double ProbedListShare { get; init; } = 1.0 / 256;

    /// <summary>
    /// Megabytes of float rows kept in memory after a compact index's hits were scored with them (their
    /// plain cosines; reading them from SQLite was most of a search's time): about 5 KB a row, 160 KB an
    /// object of 31 rows, so the default keeps about 1,600 objects. Emptied on overflow and on every write
    /// to the index. 0 reads them from SQLite every time.
    /// </summary>
    public int PlainCacheMegabytes { get; init; } = 256;

    /// <summary>
    /// From this many rows on, one exact search splits its scan over <see cref="SearchThreads"/> threads;
    /// below it one thread scans (starting threads costs more than it saves on a small catalogue).
    /// </summary>
    public int ParallelAboveRows { get; init; } = 20_000;

    /// <summary>Threads one search may use; 0 (the default): one per core of the machine.</summary>
    public int SearchThreads { get; init; }

    /// <summary>The threads one search may use: <see cref="SearchThreads"/>, or the machine's cores when 0.</summary>
    public int ThreadsPerSearch() => SearchThreads > 0 ? SearchThreads : Environment.ProcessorCount;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting when a value cannot work.</summary>
    public void Validate()
    {
        if (ApproximateAboveRows < 0)
            throw new ArgumentException($"index.embedded.approximate_above_rows must be 0 or more (got {ApproximateAboveRows}).");
        if (Probes < 1)
            throw new ArgumentException($"index.embedded.probes must be at least 1 (got {Probes}).");
        if (ProbedListShare is < 0 or > 1 || double.IsNaN(ProbedListShare))
            throw new ArgumentException($"index.embedded.probed_list_share must be from 0 to 1 (got {ProbedListShare}).");
        if (PlainCacheMegabytes < 0)
            throw new ArgumentException($"index.embedded.plain_cache_megabytes must be 0 or more (got {PlainCacheMegabytes}).");
        if (ParallelAboveRows < 0)
            throw new ArgumentException($"index.embedded.parallel_above_rows must be 0 or more (got {ParallelAboveRows}).");
        if (SearchThreads is < 0 or > 64)
            throw new ArgumentException($"index.embedded.search_threads must be 0 (one per core) to 64 (got {SearchThreads}).");
    }

    /// <summary>
    /// Keep the catalogue's keypoints in a memory-mapped file beside the store (keypoints.idx: packed
    /// keypoints and hashed posting lists, written from the store's rows when missing or unreadable)
    /// instead of on the managed heap (about 450 KB a picture). Pictures added since the file was written
    /// are held in memory and merged into a new file in the background. False: all in memory.
    /// </summary>
    public bool KeypointsOnDisk { get; init; } = true;
}
