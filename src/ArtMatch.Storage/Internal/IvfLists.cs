using System.Numerics.Tensors;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// An inverted file over compact rows: unit centroids (spherical k-means on a sample of the rows), each
/// with the list of rows nearest to it. A search scores the query against every centroid and scans the
/// rows of the best few lists only. Training is two-level (about sqrt(lists) coarse centroids, then each
/// coarse cluster split in proportion to its share of the sample), so that training and assigning cost
/// rows x 2 sqrt(lists) dot products instead of rows x lists. Rows are assigned by the same two levels
/// (the leaves of the two best coarse centroids). Immutable centroids; the lists are appended to under
/// the index's writer lock.
/// </summary>
internal sealed class IvfLists
{
    private const int Iterations = 8;

    private readonly float[] _centroids;      // lists x dimensions
    private readonly float[] _coarse;         // coarse x dimensions
    private readonly int[][] _leavesOfCoarse; // coarse -> its lists
    private int[][] _rows;
    private int[] _counts;

    private IvfLists(int dimensions, float[] centroids, float[] coarse, int[][] leavesOfCoarse)
    {
        Dimensions = dimensions;
        _centroids = centroids;
        _coarse = coarse;
        _leavesOfCoarse = leavesOfCoarse;
        Count = centroids.Length / dimensions;
        _rows = new int[Count][];
        _counts = new int[Count];
        for (int l = 0; l < Count; l++)
            _rows[l] = new int[16];
    }

    public int Dimensions { get; }

    /// <summary>The parts an <see cref="IvfFile"/> keeps (centroids, coarse centroids, each coarse centroid's lists).</summary>
    internal (float[] Centroids, float[] Coarse, int[][] LeavesOfCoarse) Parts => (_centroids, _coarse, _leavesOfCoarse);

    /// <summary>Centroids read back from an <see cref="IvfFile"/>, with empty lists.</summary>
    internal static IvfLists FromParts(int dimensions, float[] centroids, float[] coarse, int[][] leavesOfCoarse, int trainedRows) =>
        new(dimensions, centroids, coarse, leavesOfCoarse) { TrainedRows = trainedRows };

    /// <summary>Lists (centroids).</summary>
    public int Count { get; }

    /// <summary>Rows the index held when the centroids were learned (to judge when to learn again).</summary>
    public int TrainedRows { get; private init; }

    /// <summary>
    /// Lists for a catalogue of <paramref name="rows"/> rows: about 1,024 rows a list when learned. The default
    /// probes were measured (RESULTS.md, issue 13) with lists of about a thousand rows: learned at 512 a list and
    /// grown to twice that before the rows doubled; a bulk load learns once, at the end, so it starts at the size
    /// those lists had grown to.
    /// </summary>
    public static int ListsFor(int rows) => Math.Clamp(rows / 1024, 16, 16384);

    /// <summary>Learns <paramref name="lists"/> centroids from <paramref name="sample"/> (unit rows of <paramref name="dimensions"/>, row-major).</summary>
    public static IvfLists Train(float[] sample, int dimensions, int lists, int trainedRows, int seed = 1)
    {
        int n = sample.Length / dimensions;
        int coarseCount = Math.Clamp((int)Math.Round(Math.Sqrt(lists)), 1, n);
        var random = new Random(seed);
        var all = Enumerable.Range(0, n).ToArray();
        var (coarse, coarseOf) = KMeans(sample, dimensions, all, coarseCount, random);
        var centroids = new List<float[]>();
        var leavesOfCoarse = new int[coarseCount][];
        for (int c = 0; c < coarseCount; c++)
        {
            var members = all.Where(i => coarseOf[i] == c).ToArray();
            int leaves = Math.Clamp((int)Math.Round((double)lists * members.Length / n), 1, Math.Max(1, members.Length));
            var (leafCentroids, _) = members.Length == 0
                ? (coarse.AsSpan(c * dimensions, dimensions).ToArray(), Array.Empty<int>())
                : KMeans(sample, dimensions, members, leaves, random);
            int count = leafCentroids.Length / dimensions;
            leavesOfCoarse[c] = Enumerable.Range(centroids.Count, count).ToArray();
            for (int l = 0; l < count; l++)
                centroids.Add(leafCentroids.AsSpan(l * dimensions, dimensions).ToArray());
        }
        return new IvfLists(dimensions, centroids.SelectMany(c => c).ToArray(), coarse, leavesOfCoarse) { TrainedRows = trainedRows };
    }

    /// <summary>Spherical k-means of the <paramref name="members"/> of <paramref name="data"/>; centroids row-major and each member's centroid.</summary>
    private static (float[] Centroids, int[] Assignment) KMeans(float[] data, int dim, int[] members, int k, Random random)
    {
        k = Math.Min(k, members.Length);
        var centroids = new float[k * dim];
        var picks = members.OrderBy(_ => random.Next()).Take(k).ToArray();
        for (int c = 0; c < k; c++)
            data.AsSpan(picks[c] * dim, dim).CopyTo(centroids.AsSpan(c * dim, dim));
        var assignment = new int[data.Length / dim];
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, members.Length, 256), range =>
            {
                for (int m = range.Item1; m < range.Item2; m++)
                    assignment[members[m]] = Best(centroids, dim, data.AsSpan(members[m] * dim, dim));
            });
            var sums = new float[k * dim];
            var counts = new int[k];
            foreach (int m in members)
            {
                int c = assignment[m];
                counts[c]++;
                TensorPrimitives.Add(sums.AsSpan(c * dim, dim), data.AsSpan(m * dim, dim), sums.AsSpan(c * dim, dim));
            }
            for (int c = 0; c < k; c++)
            {
                var centroid = sums.AsSpan(c * dim, dim);
                if (counts[c] == 0)
                    data.AsSpan(members[random.Next(members.Length)] * dim, dim).CopyTo(centroid);   // an empty list takes a random row
                float norm = TensorPrimitives.Norm<float>(centroid);
                if (norm > 0)
                    TensorPrimitives.Divide(centroid, norm, centroid);
            }
            centroids = sums;
        }
        return (centroids, assignment);
    }

    private static int Best(float[] centroids, int dim, ReadOnlySpan<float> vector)
    {
        int best = 0;
        float bestScore = float.NegativeInfinity;
        for (int c = 0; c < centroids.Length / dim; c++)
        {
            float score = TensorPrimitives.Dot(vector, centroids.AsSpan(c * dim, dim));
            if (score > bestScore)
                (best, bestScore) = (c, score);
        }
        return best;
    }

    /// <summary>The list a row belongs to: the nearest leaf of the two nearest coarse centroids.</summary>
    public int Nearest(ReadOnlySpan<float> row)
    {
        int dim = Dimensions;
        int first = -1, second = -1;
        float firstScore = float.NegativeInfinity, secondScore = float.NegativeInfinity;
        for (int c = 0; c < _leavesOfCoarse.Length; c++)
        {
            float score = TensorPrimitives.Dot(row, _coarse.AsSpan(c * dim, dim));
            if (score > firstScore)
            {
                (second, secondScore) = (first, firstScore);
                (first, firstScore) = (c, score);
            }
            else if (score > secondScore)
            {
                (second, secondScore) = (c, score);
            }
        }
        int best = -1;
        float bestScore = float.NegativeInfinity;
        foreach (int c in second < 0 ? [first] : new[] { first, second })
        {
            foreach (int leaf in _leavesOfCoarse[c])
            {
                float score = TensorPrimitives.Dot(row, _centroids.AsSpan(leaf * dim, dim));
                if (score > bestScore)
                    (best, bestScore) = (leaf, score);
            }
        }
        return best;
    }

    /// <summary>The <paramref name="probes"/> lists whose centroids score best with <paramref name="query"/> (projected, unit).</summary>
    public int[] Probe(ReadOnlySpan<float> query, int probes)
    {
        probes = Math.Min(probes, Count);
        var scores = new float[Count];
        for (int l = 0; l < Count; l++)
            scores[l] = TensorPrimitives.Dot(query, _centroids.AsSpan(l * Dimensions, Dimensions));
        var order = Enumerable.Range(0, Count).ToArray();
        var keys = scores.Select(s => -s).ToArray();
        Array.Sort(keys, order);
        return order[..probes];
    }

    public void Add(int list, int row)
    {
        if (_counts[list] == _rows[list].Length)
            Array.Resize(ref _rows[list], _rows[list].Length * 2);
        _rows[list][_counts[list]++] = row;
    }

    public ReadOnlySpan<int> Rows(int list) => _rows[list].AsSpan(0, _counts[list]);

    /// <summary>Empties every list (rows are added again after a compaction moved them).</summary>
    public void Clear() => Array.Clear(_counts);

    /// <summary>Bytes of the centroids and lists.</summary>
    public long Bytes => (_centroids.Length + _coarse.Length) * sizeof(float) + _rows.Sum(r => (long)r.Length) * sizeof(int);
}
