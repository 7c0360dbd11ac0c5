using System.Diagnostics;
using System.Numerics.Tensors;
using ArtMatch.Storage;

namespace ArtMatch.Benchmarks;

/// <summary>
/// The scale benchmark's exact answer: for each query, its top k pictures by the best float dot product
/// of any of their rows in the index's ranking space, fed picture by picture while the index is built
/// (the rows in float are never all held). Two feeders (threads) each keep their own tops. Times itself,
/// so the build time can leave it out.
/// </summary>
internal sealed class ExactReference(IReadOnlyList<float[]> queries, int k)
{
    private const int Feeders = 2;

    private readonly PriorityQueue<int, float>[][] _tops = Enumerable.Range(0, Feeders)
        .Select(_ => queries.Select(_ => new PriorityQueue<int, float>()).ToArray()).ToArray();
    private float[][] _ranked = [];
    private long _ticks;

    /// <summary>Seconds spent scoring, summed over feeders and divided by their number (their share of the wall time).</summary>
    public double Seconds => TimeSpan.FromTicks(Interlocked.Read(ref _ticks)).TotalSeconds / Feeders;

    /// <summary>Puts the queries into the index's ranking space (once it is learned).</summary>
    public void Rank(EmbeddedVectorIndex index) => _ranked = index.RankRows(queries);

    /// <summary>Scores one picture's ranked rows against every query (feeder 0 or 1; one thread per feeder).</summary>
    public void Offer(int feeder, int picture, float[][] rows)
    {
        long started = Stopwatch.GetTimestamp();
        var tops = _tops[feeder];
        lock (tops)   // two threads may feed the same feeder now and then
        for (int q = 0; q < _ranked.Length; q++)
        {
            float best = float.NegativeInfinity;
            foreach (var row in rows)
                best = MathF.Max(best, TensorPrimitives.Dot<float>(_ranked[q], row));
            if (tops[q].Count < k)
                tops[q].Enqueue(picture, best);
            else if (tops[q].TryPeek(out _, out float worst) && best > worst)
                tops[q].EnqueueDequeue(picture, best);
        }
        Interlocked.Add(ref _ticks, Stopwatch.GetElapsedTime(started).Ticks);
    }

    /// <summary>For each query, the ids of its top k pictures.</summary>
    public List<HashSet<string>> Truth(Func<int, string> id) =>
        Enumerable.Range(0, queries.Count).Select(q => _tops.SelectMany(t => t[q].UnorderedItems)
            .OrderByDescending(i => i.Priority).Take(k).Select(i => id(i.Element)).ToHashSet()).ToList();
}
