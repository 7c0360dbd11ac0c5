using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// Every vector of the current model in one contiguous row-major matrix, with each row's object,
/// image and region, and each object's filter fields as small integers. Exact search scans all rows
/// (split across cores when large), keeps each object's best row, and returns the top objects.
/// Deleted objects' rows stay in place, skipped by the scan, until a quarter of the rows are dead;
/// then the matrix is compacted. With a <see cref="Whitening"/> installed, a second matrix holds every
/// row whitened: the scan ranks by it, and each hit also carries its row's plain cosine (the score
/// verdicts are calibrated on). Not thread-safe by itself: the store guards it with a reader-writer lock.
/// </summary>
internal sealed class VectorIndex
{
    /// <summary>Below this many rows one thread scans; splitting costs more than it saves. Settable for measurements.</summary>
    internal static int ParallelThreshold { get; set; } = 20_000;

    /// <summary>Threads one search may use (benchmarks compare one and two).</summary>
    internal static int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Field code of a record without that field; never equal to a filter value's code.</summary>
    private const int NoValue = -1;

    private const int UnknownFilterValue = -2;

    /// <summary>Up to this k the top list is kept by insertion; beyond it the scored objects are sorted.</summary>
    private const int SmallK = 64;

    // Rows. Invariant: rows [0, _rows) are filled; a row is live when its object is.
    private float[] _matrix;
    // Invariant: null exactly when Whitening is; then rows [0, _rows) hold the whitened rows of _matrix.
    private float[]? _whitened;
    private int[] _rowObject = new int[1024];
    private int[] _rowImage = new int[1024];
    private int[] _rowRegion = new int[1024];
    private int _rows;
    private int _deadRows;

    // Objects by ordinal. A deleted object keeps its ordinal (id null, alive 0) until compaction.
    private string?[] _objectIds = new string?[256];
    private byte[] _objectAlive = new byte[256];
    private List<int>[] _objectRows = new List<int>[256];
    private int[] _objectRegistry = new int[256];
    private int[] _objectType = new int[256];
    private int[] _objectCountry = new int[256];
    private int[] _objectStatus = new int[256];
    private int _objectSlots;
    private Dictionary<string, int> _objectOrdinal = new(StringComparer.Ordinal);

    private List<string> _images = [];
    private Dictionary<string, int> _imageOrdinal = new(StringComparer.Ordinal);

    // Filter values to codes; case-insensitive like the SQL side (COLLATE NOCASE).
    private readonly Dictionary<string, int> _registryCodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _typeCodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _countryCodes = new(StringComparer.OrdinalIgnoreCase);

    public VectorIndex(int dimension)
    {
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), "Dimension must be positive.");
        Dimension = dimension;
        _matrix = new float[(long)dimension * _rowObject.Length];
    }

    public int Dimension { get; }

    public Whitening? Whitening { get; private set; }

    /// <summary>Live rows (vectors of objects not deleted).</summary>
    public int RowCount => _rows - _deadRows;

    public int ObjectCount => _objectOrdinal.Count;

    /// <summary>Sets (or refreshes) an object's filter fields; returns its ordinal.</summary>
    public int SetObject(CulturalObject record)
    {
        if (!_objectOrdinal.TryGetValue(record.ObjectId, out int ordinal))
        {
            if (_objectSlots == _objectIds.Length)
                GrowObjects(_objectSlots * 2);
            ordinal = _objectSlots++;
            _objectIds[ordinal] = record.ObjectId;
            _objectAlive[ordinal] = 1;
            _objectRows[ordinal] = [];
            _objectOrdinal[record.ObjectId] = ordinal;
        }
        _objectRegistry[ordinal] = Code(_registryCodes, record.Registry);
        _objectType[ordinal] = Code(_typeCodes, record.ObjectType);
        _objectCountry[ordinal] = Code(_countryCodes, record.Country);
        _objectStatus[ordinal] = (int)record.Status;
        return ordinal;
    }

    /// <summary>Appends one vector of an object already set with <see cref="SetObject"/>.</summary>
    public void Add(string objectId, string imageId, int region, ReadOnlySpan<float> vector)
    {
        AppendRow(objectId, imageId, region, vector);
        Whitening?.Apply([vector.ToArray()], WhitenedRows(_rows - 1, 1));
    }

    /// <summary>
    /// Appends all vectors of one image (region = position in the list), whitened together when a
    /// whitening is installed: the projection is several MB, read once for the lot instead of per row.
    /// </summary>
    public void AddImage(string objectId, string imageId, IReadOnlyList<float[]> vectors)
    {
        foreach (var vector in vectors)
        {
            if (vector.Length != Dimension)
                throw new ArgumentException($"Vector has {vector.Length} dimensions; the store holds {Dimension}.");
        }
        int first = _rows;
        for (int region = 0; region < vectors.Count; region++)
            AppendRow(objectId, imageId, region, vectors[region]);
        Whitening?.Apply(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), WhitenedRows(first, vectors.Count));
    }

    /// <summary>Where rows [first, first + count) of the whitened matrix live (only while a whitening is installed).</summary>
    private Memory<float> WhitenedRows(int first, int count) => _whitened.AsMemory((int)((long)first * Dimension), count * Dimension);

    /// <summary>Appends a row to the plain matrix; the callers whiten it.</summary>
    private void AppendRow(string objectId, string imageId, int region, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
            throw new ArgumentException($"Vector has {vector.Length} dimensions; the store holds {Dimension}.");
        if (!_objectOrdinal.TryGetValue(objectId, out int ordinal))
            throw new KeyNotFoundException($"No object '{objectId}' in the vector index.");
        if (!_imageOrdinal.TryGetValue(imageId, out int image))
        {
            image = _images.Count;
            _images.Add(imageId);
            _imageOrdinal[imageId] = image;
        }
        if (_rows == _rowObject.Length)
            GrowRows();
        vector.CopyTo(_matrix.AsSpan((int)((long)_rows * Dimension), Dimension));
        _rowObject[_rows] = ordinal;
        _rowImage[_rows] = image;
        _rowRegion[_rows] = region;
        _objectRows[ordinal].Add(_rows);
        _rows++;
    }

    public void Remove(string objectId)
    {
        if (!_objectOrdinal.Remove(objectId, out int ordinal))
            return;
        _objectIds[ordinal] = null;
        _objectAlive[ordinal] = 0;
        _deadRows += _objectRows[ordinal].Count;
        if (_deadRows > _rows / 4)
            Compact();
    }

    private void GrowRows()
    {
        long maxRows = Array.MaxLength / Dimension;
        if (_rows >= maxRows)
            throw new InvalidOperationException($"The in-memory index is full ({_rows} vectors of {Dimension} dimensions).");
        int capacity = (int)Math.Min(maxRows, _rowObject.Length * 2L);
        Array.Resize(ref _matrix, (int)((long)capacity * Dimension));
        if (_whitened is not null)
            Array.Resize(ref _whitened, (int)((long)capacity * Dimension));
        Array.Resize(ref _rowObject, capacity);
        Array.Resize(ref _rowImage, capacity);
        Array.Resize(ref _rowRegion, capacity);
    }

    private void GrowObjects(int capacity)
    {
        Array.Resize(ref _objectIds, capacity);
        Array.Resize(ref _objectAlive, capacity);
        Array.Resize(ref _objectRows, capacity);
        Array.Resize(ref _objectRegistry, capacity);
        Array.Resize(ref _objectType, capacity);
        Array.Resize(ref _objectCountry, capacity);
        Array.Resize(ref _objectStatus, capacity);
    }

    /// <summary>Drops deleted objects, their rows and images no row uses any more; keeps the order of the rest.</summary>
    private void Compact()
    {
        var newOrdinal = new int[_objectSlots];
        int objects = 0;
        for (int o = 0; o < _objectSlots; o++)
        {
            if (_objectAlive[o] == 0)
            {
                newOrdinal[o] = -1;
                continue;
            }
            newOrdinal[o] = objects;
            _objectIds[objects] = _objectIds[o];
            _objectAlive[objects] = 1;
            _objectRows[objects] = [];
            _objectRegistry[objects] = _objectRegistry[o];
            _objectType[objects] = _objectType[o];
            _objectCountry[objects] = _objectCountry[o];
            _objectStatus[objects] = _objectStatus[o];
            objects++;
        }
        Array.Clear(_objectIds, objects, _objectSlots - objects);
        Array.Clear(_objectRows, objects, _objectSlots - objects);
        Array.Clear(_objectAlive, objects, _objectSlots - objects);
        _objectSlots = objects;
        _objectOrdinal = new Dictionary<string, int>(objects, StringComparer.Ordinal);
        for (int o = 0; o < objects; o++)
            _objectOrdinal[_objectIds[o]!] = o;

        var images = new List<string>();
        var imageOrdinal = new Dictionary<string, int>(StringComparer.Ordinal);
        int write = 0;
        for (int row = 0; row < _rows; row++)
        {
            int ordinal = newOrdinal[_rowObject[row]];
            if (ordinal < 0)
                continue;
            string imageId = _images[_rowImage[row]];
            if (!imageOrdinal.TryGetValue(imageId, out int image))
            {
                image = images.Count;
                images.Add(imageId);
                imageOrdinal[imageId] = image;
            }
            if (write != row)
            {
                _matrix.AsSpan((int)((long)row * Dimension), Dimension).CopyTo(_matrix.AsSpan((int)((long)write * Dimension), Dimension));
                _whitened?.AsSpan((int)((long)row * Dimension), Dimension).CopyTo(_whitened.AsSpan((int)((long)write * Dimension), Dimension));
            }
            _rowObject[write] = ordinal;
            _objectRows[ordinal].Add(write);
            _rowImage[write] = image;
            _rowRegion[write] = _rowRegion[row];
            write++;
        }
        _images = images;
        _imageOrdinal = imageOrdinal;
        _rows = write;
        _deadRows = 0;
    }

    /// <summary>The live rows (views into the matrix, valid until the next write), to learn a whitening from.</summary>
    public IReadOnlyList<ReadOnlyMemory<float>> LiveRows()
    {
        var rows = new List<ReadOnlyMemory<float>>(RowCount);
        for (int row = 0; row < _rows; row++)
        {
            if (_objectAlive[_rowObject[row]] != 0)
                rows.Add(_matrix.AsMemory((int)((long)row * Dimension), Dimension));
        }
        return rows;
    }

    /// <summary>Every row whitened by <paramref name="whitening"/>, laid out as the matrix (slow: the caller keeps writers out, not readers).</summary>
    public float[] WhitenRows(Whitening whitening)
    {
        if (whitening.Dimension != Dimension)
            throw new ArgumentException($"The whitening has {whitening.Dimension} dimensions; the index holds {Dimension}.");
        var rows = new List<ReadOnlyMemory<float>>(_rows);
        for (int row = 0; row < _rows; row++)
            rows.Add(_matrix.AsMemory((int)((long)row * Dimension), Dimension));
        var whitened = new float[_matrix.Length];
        whitening.Apply(rows, whitened);
        return whitened;
    }

    /// <summary>Installs a whitening with the rows <see cref="WhitenRows"/> made for it (no write in between), or removes it.</summary>
    public void SetWhitening(Whitening? whitening, float[]? whitenedRows)
    {
        if ((whitening is null) != (whitenedRows is null) || (whitenedRows is not null && whitenedRows.Length != _matrix.Length))
            throw new ArgumentException("A whitening needs its whitened rows, laid out as the matrix.");
        Whitening = whitening;
        _whitened = whitenedRows;
    }

    /// <summary>The top <paramref name="k"/> objects by their best row's dot product with <paramref name="query"/>.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter) => Search(query, k, filter, MaxParallelism);

    /// <summary>As <see cref="Search(ReadOnlySpan{float}, int, SearchFilter)"/>, scanning with at most <paramref name="maxThreads"/> threads.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, SearchFilter filter, int maxThreads)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        ArgumentNullException.ThrowIfNull(filter);
        if (k < 1 || RowCount == 0)
            return [];
        int objects = _objectSlots;
        byte[]? rentedMask = filter.IsEmpty ? null : AllowedObjects(filter);
        byte[] allowed = rentedMask ?? _objectAlive;
        int parts = _rows >= ParallelThreshold ? Math.Clamp(maxThreads, 1, 64) : 1;
        var best = new float[parts][];
        var bestRow = new int[parts][];
        float[] queryCopy = ArrayPool<float>.Shared.Rent(Dimension);
        float[] matrix = _whitened ?? _matrix;
        try
        {
            if (Whitening is not null)
                Whitening.Apply([query.ToArray()], queryCopy);
            else
                query.CopyTo(queryCopy);
            if (parts == 1)
            {
                (best[0], bestRow[0]) = RentBest(objects);
                Scan(matrix, queryCopy, 0, _rows, allowed, filter.WholeImagesOnly, best[0], bestRow[0]);
            }
            else
            {
                // Blocks of whole rows per thread; each thread keeps its own per-object bests.
                int chunk = (_rows + parts - 1) / parts;
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                {
                    (best[part], bestRow[part]) = RentBest(objects);
                    Scan(matrix, queryCopy, part * chunk, Math.Min(_rows, (part + 1) * chunk), allowed, filter.WholeImagesOnly, best[part], bestRow[part]);
                });
                // Later parts hold later rows: a strict comparison keeps the earliest row on a tie, as one thread would.
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
            }
            return TopK(best[0], bestRow[0], objects, k, query, filter.WholeImagesOnly);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(queryCopy);
            if (rentedMask is not null)
                ArrayPool<byte>.Shared.Return(rentedMask);
            for (int part = 0; part < parts; part++)
            {
                if (best[part] is not null)
                    ArrayPool<float>.Shared.Return(best[part]);
                if (bestRow[part] is not null)
                    ArrayPool<int>.Shared.Return(bestRow[part]);
            }
        }
    }

    /// <summary>
    /// Several queries in one pass over the rows: each wanted row is read once and scored against
    /// every query (a photo's many region vectors against the whole pictures). Same scores and order
    /// as <see cref="Search(ReadOnlySpan{float}, int, SearchFilter)"/> per query; one thread.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        foreach (var query in queries)
        {
            if (query.Length != Dimension)
                throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        }
        if (k < 1 || RowCount == 0 || queries.Count == 0)
            return queries.Select(_ => (IReadOnlyList<VectorHit>)[]).ToList();
        int objects = _objectSlots;
        byte[]? rentedMask = filter.IsEmpty ? null : AllowedObjects(filter);
        byte[] allowed = rentedMask ?? _objectAlive;
        var best = new float[queries.Count][];
        var bestRow = new int[queries.Count][];
        var ranked = queries;
        if (Whitening is not null)
        {
            var whitened = new float[queries.Count * Dimension];
            Whitening.Apply(queries.Select(q => (ReadOnlyMemory<float>)q).ToList(), whitened);
            ranked = Enumerable.Range(0, queries.Count).Select(j => whitened.AsSpan(j * Dimension, Dimension).ToArray()).ToList();
        }
        try
        {
            for (int j = 0; j < queries.Count; j++)
                (best[j], bestRow[j]) = RentBest(objects);
            ref float matrix = ref MemoryMarshal.GetArrayDataReference(_whitened ?? _matrix);
            for (int row = 0; row < _rows; row++)
            {
                int ordinal = _rowObject[row];
                if (allowed[ordinal] == 0 || (filter.WholeImagesOnly && _rowRegion[row] != 0))
                    continue;
                ref float rowStart = ref Unsafe.Add(ref matrix, (nint)row * Dimension);
                for (int j = 0; j < queries.Count; j++)
                    Offer(best[j], bestRow[j], ordinal, row, DotKernels.Dot1(ranked[j], ref rowStart));
            }
            var results = new IReadOnlyList<VectorHit>[queries.Count];
            for (int j = 0; j < queries.Count; j++)
                results[j] = TopK(best[j], bestRow[j], objects, k, queries[j], filter.WholeImagesOnly);
            return results;
        }
        finally
        {
            if (rentedMask is not null)
                ArrayPool<byte>.Shared.Return(rentedMask);
            for (int j = 0; j < queries.Count; j++)
            {
                if (best[j] is not null)
                    ArrayPool<float>.Shared.Return(best[j]);
                if (bestRow[j] is not null)
                    ArrayPool<int>.Shared.Return(bestRow[j]);
            }
        }
    }

    private static (float[], int[]) RentBest(int objects)
    {
        var best = ArrayPool<float>.Shared.Rent(Math.Max(1, objects));
        best.AsSpan(0, objects).Fill(float.NegativeInfinity);
        return (best, ArrayPool<int>.Shared.Rent(Math.Max(1, objects)));
    }

    /// <summary>Scores rows [start, end): four at a time when all four are wanted, else one by one. No allocation.</summary>
    private void Scan(float[] rows, float[] query, int start, int end, byte[] allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        int dim = Dimension;
        var q = new ReadOnlySpan<float>(query, 0, dim);
        ref float matrix = ref MemoryMarshal.GetArrayDataReference(rows);
        int[] rowObject = _rowObject;
        int[] rowRegion = _rowRegion;
        int row = start;
        for (; row + 4 <= end; row += 4)
        {
            int o0 = rowObject[row], o1 = rowObject[row + 1], o2 = rowObject[row + 2], o3 = rowObject[row + 3];
            bool wanted = (allowed[o0] & allowed[o1] & allowed[o2] & allowed[o3]) != 0
                && (!wholeImagesOnly || (rowRegion[row] | rowRegion[row + 1] | rowRegion[row + 2] | rowRegion[row + 3]) == 0);
            if (wanted)
            {
                DotKernels.Dot4(q, ref Unsafe.Add(ref matrix, (nint)row * dim), out float s0, out float s1, out float s2, out float s3);
                Offer(best, bestRow, o0, row, s0);
                Offer(best, bestRow, o1, row + 1, s1);
                Offer(best, bestRow, o2, row + 2, s2);
                Offer(best, bestRow, o3, row + 3, s3);
            }
            else
            {
                for (int r = row; r < row + 4; r++)
                    ScanOne(q, ref matrix, r, allowed, wholeImagesOnly, best, bestRow);
            }
        }
        for (; row < end; row++)
            ScanOne(q, ref matrix, row, allowed, wholeImagesOnly, best, bestRow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ScanOne(ReadOnlySpan<float> query, ref float matrix, int row, byte[] allowed, bool wholeImagesOnly, float[] best, int[] bestRow)
    {
        int ordinal = _rowObject[row];
        if (allowed[ordinal] == 0 || (wholeImagesOnly && _rowRegion[row] != 0))
            return;
        Offer(best, bestRow, ordinal, row, DotKernels.Dot1(query, ref Unsafe.Add(ref matrix, (nint)row * query.Length)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(float[] best, int[] bestRow, int ordinal, int row, float score)
    {
        if (score > best[ordinal])
        {
            best[ordinal] = score;
            bestRow[ordinal] = row;
        }
    }

    /// <summary>
    /// The k best objects, highest score first; equal scores ordered by object id. When the scores were
    /// whitened, each hit's <see cref="VectorHit.Score"/> is still its object's best plain cosine with
    /// <paramref name="query"/> (over the rows searched), so that it means what it means without whitening.
    /// </summary>
    private List<VectorHit> TopK(float[] best, int[] bestRow, int objects, int k, ReadOnlySpan<float> query, bool wholeImagesOnly)
    {
        k = Math.Min(k, objects);
        int[] top = ArrayPool<int>.Shared.Rent(Math.Max(1, k > SmallK ? objects : k));
        int count = 0;
        try
        {
            if (k > SmallK)
            {
                // Large k: sort every scored object (n log n) rather than insertion into a long list.
                for (int o = 0; o < objects; o++)
                {
                    if (!float.IsNegativeInfinity(best[o]))
                        top[count++] = o;
                }
                top.AsSpan(0, count).Sort((a, b) => a == b ? 0 : Better(a, b, best) ? -1 : 1);
                count = Math.Min(count, k);
            }
            // Small k: a sorted array of at most k ordinals; most objects fail the cheap threshold test.
            for (int o = 0; k <= SmallK && o < objects; o++)
            {
                float score = best[o];
                if (float.IsNegativeInfinity(score) || (count == k && !Better(o, top[k - 1], best)))
                    continue;
                int position = count == k ? k - 1 : count++;
                while (position > 0 && Better(o, top[position - 1], best))
                {
                    top[position] = top[position - 1];
                    position--;
                }
                top[position] = o;
            }
            var hits = new List<VectorHit>(count);
            for (int i = 0; i < count; i++)
            {
                int ordinal = top[i];
                int row = bestRow[ordinal];
                var hit = new VectorHit(_objectIds[ordinal]!, _images[_rowImage[row]], _rowRegion[row], best[ordinal]);
                if (Whitening is not null)
                    hit = hit with { Score = BestPlainScore(ordinal, query, wholeImagesOnly), WhitenedScore = best[ordinal] };
                hits.Add(hit);
            }
            return hits;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(top);
        }
    }

    private float BestPlainScore(int ordinal, ReadOnlySpan<float> query, bool wholeImagesOnly)
    {
        float best = float.NegativeInfinity;
        foreach (int row in _objectRows[ordinal])
        {
            if (!wholeImagesOnly || _rowRegion[row] == 0)
                best = MathF.Max(best, DotKernels.Dot1(query, ref _matrix[(int)((long)row * Dimension)]));
        }
        return best;
    }

    /// <summary>
    /// Each named object's best row by <paramref name="query"/>: its plain cosine as the score and, with a
    /// whitening installed, its whitened cosine, the image and region being those of the row that ranks
    /// (whitened when whitening, as in <see cref="Search(ReadOnlySpan{float}, int, SearchFilter)"/>).
    /// Objects not in the index, or without rows, are left out; repeated ids count once.
    /// </summary>
    public IReadOnlyList<VectorHit> ScoreObjects(ReadOnlySpan<float> query, IReadOnlyCollection<string> objectIds)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} dimensions; the store holds {Dimension}.");
        float[]? whitenedQuery = Whitening?.Apply(query);
        var hits = new List<VectorHit>();
        foreach (var objectId in objectIds.Distinct(StringComparer.Ordinal))
        {
            if (!_objectOrdinal.TryGetValue(objectId, out int ordinal) || _objectRows[ordinal].Count == 0)
                continue;
            float plain = float.NegativeInfinity, rankScore = float.NegativeInfinity;
            int rankRow = -1;
            foreach (int row in _objectRows[ordinal])
            {
                int at = (int)((long)row * Dimension);
                float score = DotKernels.Dot1(query, ref _matrix[at]);
                plain = MathF.Max(plain, score);
                if (whitenedQuery is not null)
                    score = DotKernels.Dot1(whitenedQuery, ref _whitened![at]);
                if (score > rankScore)
                    (rankScore, rankRow) = (score, row);
            }
            var hit = new VectorHit(objectId, _images[_rowImage[rankRow]], _rowRegion[rankRow], plain);
            hits.Add(whitenedQuery is null ? hit : hit with { WhitenedScore = rankScore });
        }
        return hits;
    }

    /// <summary>Ids of the live objects whose fields pass <paramref name="filter"/> (<see cref="SearchFilter.WholeImagesOnly"/> is about rows and plays no part).</summary>
    public HashSet<string> AllowedObjectIds(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.IsEmpty)
            return new HashSet<string>(_objectOrdinal.Keys, StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        byte[] allowed = AllowedObjects(filter);
        try
        {
            for (int o = 0; o < _objectSlots; o++)
            {
                if (allowed[o] != 0)
                    ids.Add(_objectIds[o]!);
            }
            return ids;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(allowed);
        }
    }

    private bool Better(int a, int b, float[] best) =>
        best[a] > best[b] || (best[a] == best[b] && string.CompareOrdinal(_objectIds[a], _objectIds[b]) < 0);

    /// <summary>A rented mask over object ordinals: 1 where the object is alive and passes the filter.</summary>
    private byte[] AllowedObjects(SearchFilter filter)
    {
        int[]? registries = Codes(_registryCodes, filter.Registries);
        int[]? types = Codes(_typeCodes, filter.ObjectTypes);
        int[]? countries = Codes(_countryCodes, filter.Countries);
        int[]? statuses = filter.Statuses?.Select(s => (int)s).ToArray();
        var allowed = ArrayPool<byte>.Shared.Rent(Math.Max(1, _objectSlots));
        for (int o = 0; o < _objectSlots; o++)
        {
            bool pass = _objectAlive[o] != 0
                && (registries is null || Array.IndexOf(registries, _objectRegistry[o]) >= 0)
                && (types is null || Array.IndexOf(types, _objectType[o]) >= 0)
                && (countries is null || Array.IndexOf(countries, _objectCountry[o]) >= 0)
                && (statuses is null || Array.IndexOf(statuses, _objectStatus[o]) >= 0);
            allowed[o] = pass ? (byte)1 : (byte)0;
        }
        return allowed;
    }

    private static int[]? Codes(Dictionary<string, int> codes, IReadOnlyCollection<string>? values) =>
        values?.Select(v => v is not null && codes.TryGetValue(v, out int c) ? c : UnknownFilterValue).ToArray();

    private static int Code(Dictionary<string, int> codes, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return NoValue;
        if (!codes.TryGetValue(value, out int code))
            codes[value] = code = codes.Count;
        return code;
    }
}
