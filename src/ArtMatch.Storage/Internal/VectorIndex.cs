using System.Buffers;
using System.Numerics.Tensors;
using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// Every vector of the current model in one contiguous row-major matrix, with each row's object,
/// image and region, and each object's filter fields as small integers. Exact search scans all rows
/// (split across cores when large), keeps each object's best row, and returns the top objects.
/// Not thread-safe by itself: the store guards it with a reader-writer lock.
/// </summary>
internal sealed class VectorIndex(int dimension)
{
    /// <summary>Below this many rows one thread scans; splitting costs more than it saves.</summary>
    private const int ParallelThreshold = 16_384;

    /// <summary>Threads one search may use (benchmarks compare one and two).</summary>
    internal static int MaxParallelism { get; set; } = Environment.ProcessorCount;

    private float[] _matrix = new float[dimension * 1024];
    private int[] _rowObject = new int[1024];
    private int[] _rowImage = new int[1024];
    private int[] _rowRegion = new int[1024];
    private int _rows;
    private int _deadRows;

    private readonly List<ObjectEntry> _objects = [];
    private readonly Dictionary<string, int> _objectOrdinal = new(StringComparer.Ordinal);
    private readonly List<string> _images = [];
    private readonly Dictionary<string, int> _imageOrdinal = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _registry = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _type = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _country = new(StringComparer.OrdinalIgnoreCase);

    private sealed class ObjectEntry
    {
        public required string Id;
        public bool Alive = true;
        public int Registry, Type, Country;
        public ObjectStatus Status;
    }

    public int Dimension { get; } = dimension;

    public int RowCount => _rows - _deadRows;

    public int ObjectCount => _objectOrdinal.Count;

    /// <summary>Sets (or refreshes) an object's filter fields; returns its ordinal.</summary>
    public int SetObject(CulturalObject record)
    {
        if (!_objectOrdinal.TryGetValue(record.ObjectId, out int ordinal))
        {
            ordinal = _objects.Count;
            _objects.Add(new ObjectEntry { Id = record.ObjectId });
            _objectOrdinal[record.ObjectId] = ordinal;
        }
        var entry = _objects[ordinal];
        entry.Registry = Code(_registry, record.Registry);
        entry.Type = Code(_type, record.ObjectType);
        entry.Country = Code(_country, record.Country);
        entry.Status = record.Status;
        return ordinal;
    }

    public void Add(string objectId, string imageId, int region, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
            throw new ArgumentException($"Vector has {vector.Length} dimensions; the store holds {Dimension}.");
        int ordinal = _objectOrdinal[objectId];
        if (!_imageOrdinal.TryGetValue(imageId, out int image))
        {
            image = _images.Count;
            _images.Add(imageId);
            _imageOrdinal[imageId] = image;
        }
        if (_rows == _rowObject.Length)
            Grow();
        vector.CopyTo(_matrix.AsSpan(_rows * Dimension, Dimension));
        _rowObject[_rows] = ordinal;
        _rowImage[_rows] = image;
        _rowRegion[_rows] = region;
        _rows++;
    }

    public void Remove(string objectId)
    {
        if (!_objectOrdinal.Remove(objectId, out int ordinal))
            return;
        _objects[ordinal].Alive = false;
        for (int row = 0; row < _rows; row++)
        {
            if (_rowObject[row] == ordinal)
                _deadRows++;
        }
        if (_deadRows > _rows / 4)
            Compact();
    }

    private void Grow()
    {
        int capacity = _rowObject.Length * 2;
        Array.Resize(ref _matrix, capacity * Dimension);
        Array.Resize(ref _rowObject, capacity);
        Array.Resize(ref _rowImage, capacity);
        Array.Resize(ref _rowRegion, capacity);
    }

    /// <summary>Drops the rows of deleted objects, keeping the order of the rest.</summary>
    private void Compact()
    {
        int write = 0;
        for (int row = 0; row < _rows; row++)
        {
            if (!_objects[_rowObject[row]].Alive)
                continue;
            if (write != row)
            {
                _matrix.AsSpan(row * Dimension, Dimension).CopyTo(_matrix.AsSpan(write * Dimension, Dimension));
                _rowObject[write] = _rowObject[row];
                _rowImage[write] = _rowImage[row];
                _rowRegion[write] = _rowRegion[row];
            }
            write++;
        }
        _rows = write;
        _deadRows = 0;
    }

    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        if (k < 1 || _rows == 0)
            return [];
        int objects = _objects.Count;
        bool[]? allowed = filter.IsEmpty ? null : AllowedObjects(filter);

        int parts = _rows >= ParallelThreshold ? Math.Clamp(MaxParallelism, 1, 8) : 1;
        var best = new float[parts][];
        var bestRow = new int[parts][];
        var queryCopy = query.ToArray();
        if (parts == 1)
        {
            (best[0], bestRow[0]) = Rent(objects);
            Scan(queryCopy, 0, _rows, allowed, filter.WholeImagesOnly, best[0], bestRow[0]);
        }
        else
        {
            int chunk = (_rows + parts - 1) / parts;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                (best[part], bestRow[part]) = Rent(objects);
                Scan(queryCopy, part * chunk, Math.Min(_rows, (part + 1) * chunk), allowed, filter.WholeImagesOnly, best[part], bestRow[part]);
            });
        }
        try
        {
            // Merge the parts' per-object bests, then pick the top k objects.
            for (int part = 1; part < parts; part++)
            {
                for (int o = 0; o < objects; o++)
                {
                    if (best[part][o] > best[0][o])
                    {
                        best[0][o] = best[part][o];
                        bestRow[0][o] = bestRow[part][o];
                    }
                }
            }
            return TopK(best[0], bestRow[0], objects, k);
        }
        finally
        {
            for (int part = 0; part < parts; part++)
            {
                ArrayPool<float>.Shared.Return(best[part]);
                ArrayPool<int>.Shared.Return(bestRow[part]);
            }
        }
    }

    private static (float[], int[]) Rent(int objects)
    {
        var best = ArrayPool<float>.Shared.Rent(Math.Max(1, objects));
        best.AsSpan(0, objects).Fill(float.NegativeInfinity);
        return (best, ArrayPool<int>.Shared.Rent(Math.Max(1, objects)));
    }

    private void Scan(float[] query, int start, int end, bool[]? allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        var matrix = _matrix;
        int dim = Dimension;
        for (int row = start; row < end; row++)
        {
            int ordinal = _rowObject[row];
            if (!_objects[ordinal].Alive || (allowed is not null && !allowed[ordinal]) || (wholeImagesOnly && _rowRegion[row] != 0))
                continue;
            float score = TensorPrimitives.Dot(query, matrix.AsSpan(row * dim, dim));
            if (score > best[ordinal])
            {
                best[ordinal] = score;
                bestRow[ordinal] = row;
            }
        }
    }

    private List<VectorHit> TopK(float[] best, int[] bestRow, int objects, int k)
    {
        // A small min-heap of (score, ordinal); ties broken by object id for determinism.
        var heap = new PriorityQueue<int, (float Score, string Id)>(k + 1, Comparer<(float Score, string Id)>.Create((a, b) =>
        {
            int c = a.Score.CompareTo(b.Score);
            return c != 0 ? c : string.CompareOrdinal(b.Id, a.Id);
        }));
        for (int o = 0; o < objects; o++)
        {
            if (float.IsNegativeInfinity(best[o]))
                continue;
            heap.Enqueue(o, (best[o], _objects[o].Id));
            if (heap.Count > k)
                heap.Dequeue();
        }
        var hits = new List<VectorHit>(heap.Count);
        while (heap.TryDequeue(out int ordinal, out var priority))
        {
            int row = bestRow[ordinal];
            hits.Add(new VectorHit(priority.Id, _images[_rowImage[row]], _rowRegion[row], priority.Score));
        }
        hits.Reverse();
        return hits;
    }

    private bool[] AllowedObjects(SearchFilter filter)
    {
        var registries = Codes(_registry, filter.Registries);
        var types = Codes(_type, filter.ObjectTypes);
        var countries = Codes(_country, filter.Countries);
        var allowed = new bool[_objects.Count];
        for (int o = 0; o < _objects.Count; o++)
        {
            var entry = _objects[o];
            allowed[o] = (registries is null || registries.Contains(entry.Registry))
                && (types is null || types.Contains(entry.Type))
                && (countries is null || countries.Contains(entry.Country))
                && (filter.Statuses is null || filter.Statuses.Contains(entry.Status));
        }
        return allowed;
    }

    private static HashSet<int>? Codes(Dictionary<string, int> codes, IReadOnlyCollection<string>? values) =>
        values is null ? null : values.Select(v => codes.TryGetValue(v, out int c) ? c : -2).ToHashSet();

    private static int Code(Dictionary<string, int> codes, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return -1;
        if (!codes.TryGetValue(value, out int code))
            codes[value] = code = codes.Count;
        return code;
    }
}
