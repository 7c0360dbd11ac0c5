using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ArtMatch.Benchmarks;

/// <summary>
/// <c>scale --export DIR</c>: the scale benchmark's rows, queries and exact answers as files, so that
/// FAISS and hnswlib (<c>benchmarks/ann_peers.py</c>) search the same vectors the index searched, in the
/// same ranking space (whitened and projected, float32; the index holds them in int8):
/// <list type="bullet">
/// <item><c>rows.f32</c>: every row, float32 little-endian, row-major (<c>dim</c> wide), in the order they were added;</item>
/// <item><c>rows.picture.i32</c>: the picture (object) of each row, int32;</item>
/// <item><c>queries.f32</c>: the timed queries in the ranking space;</item>
/// <item><c>truth.i32</c>: for each of the first <c>recall_queries</c> queries, its exact top k pictures (int32, -1 pads);</item>
/// <item><c>meta.json</c>: dim, counts, the index's lists and probes, and the benchmark's own JSON result (<c>artmatch</c>).</item>
/// </list>
/// </summary>
internal sealed class ScaleExport : IDisposable
{
    private readonly string _dir;
    private readonly FileStream _rows;
    private readonly FileStream _pictures;
    private readonly object _gate = new();
    private long _count;

    public ScaleExport(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        _rows = new FileStream(Path.Combine(dir, "rows.f32"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _pictures = new FileStream(Path.Combine(dir, "rows.picture.i32"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
    }

    /// <summary>Appends one picture's ranked rows (any thread).</summary>
    public void Add(int picture, float[][] rows)
    {
        lock (_gate)
        {
            foreach (var row in rows)
            {
                _rows.Write(MemoryMarshal.AsBytes(row.AsSpan()));
                _pictures.Write(BitConverter.GetBytes(picture));
            }
            _count += rows.Length;
        }
    }

    /// <summary>Writes the queries, the exact answers and meta.json (after the benchmark's result is known).</summary>
    public void Finish(float[][] rankedQueries, IReadOnlyList<HashSet<string>> truth, int k, int pictures, int ivfLists, int probes, IReadOnlyDictionary<string, object> result)
    {
        _rows.Flush();
        _pictures.Flush();
        using (var queries = File.Create(Path.Combine(_dir, "queries.f32")))
        {
            foreach (var query in rankedQueries)
                queries.Write(MemoryMarshal.AsBytes(query.AsSpan()));
        }
        var answers = new int[truth.Count * k];
        Array.Fill(answers, -1);
        for (int q = 0; q < truth.Count; q++)
        {
            int i = 0;
            foreach (var id in truth[q].Take(k))
                answers[q * k + i++] = int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);
        }
        File.WriteAllBytes(Path.Combine(_dir, "truth.i32"), MemoryMarshal.AsBytes(answers.AsSpan()).ToArray());
        var meta = new Dictionary<string, object>
        {
            ["dim"] = rankedQueries.Length > 0 ? rankedQueries[0].Length : 0,
            ["rows"] = _count,
            ["pictures"] = pictures,
            ["queries"] = rankedQueries.Length,
            ["recall_queries"] = truth.Count,
            ["k"] = k,
            ["ivf_lists"] = ivfLists,
            ["probes"] = probes,
            ["artmatch"] = result,
        };
        File.WriteAllText(Path.Combine(_dir, "meta.json"), JsonSerializer.Serialize(meta));
    }

    public void Dispose()
    {
        _rows.Dispose();
        _pictures.Dispose();
    }
}
