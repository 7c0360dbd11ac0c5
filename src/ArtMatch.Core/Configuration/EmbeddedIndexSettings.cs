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
    /// From this many rows on (about 6,500 pictures of 31 rows), compact rows are searched through an
    /// inverted file (k-means lists over the rows, learned in the background; the exact scan answers
    /// meanwhile) instead of scanning every row.
    /// </summary>
    public int ApproximateAboveRows { get; init; } = 200_000;

    /// <summary>
    /// Lists of the inverted file scanned per query (about a thousand rows each): more finds more, slower.
    /// At 100,000 pictures (3.1M rows, 3126 lists) recall@10 was the same from 16 to 256 probes (0.9865,
    /// benchmarks/RESULTS.md); catalogues just past <see cref="ApproximateAboveRows"/> have fewer, larger
    /// lists and may want more.
    /// </summary>
    public int Probes { get; init; } = 16;

    /// <summary>
    /// Megabytes of float rows kept in memory after a compact index's hits were scored with them (their
    /// plain cosines; reading them from SQLite was most of a search's time): about 5 KB a row, 160 KB an
    /// object of 31 rows, so the default keeps about 1,600 objects. Emptied on overflow and on every write
    /// to the index. 0 reads them from SQLite every time.
    /// </summary>
    public int PlainCacheMegabytes { get; init; } = 256;
}
