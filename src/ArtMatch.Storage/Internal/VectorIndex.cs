using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// Every vector of the current model in one contiguous row-major matrix, with each row's object,
/// image and region, and each object's filter fields as small integers. Exact search scans all rows
/// (split across cores when large), keeps each object's best row, and returns the top objects.
/// Deleted objects' rows stay in place, skipped by the scan, until a quarter of the rows are dead;
/// then the matrix is compacted. With a <see cref="Whitening"/> installed, a second matrix holds every
/// row whitened: the scan ranks by it, and each hit also carries its row's plain cosine (the score
/// verdicts are calibrated on). Once made compact (<see cref="MakeCompact"/>), both float matrices are
/// gone and the rows live once, as <see cref="CompactRows"/> (whitened, projected, int8); hits then
/// carry the compact score as both scores, and the owner puts the plain cosine in from the rows it keeps
/// (<see cref="EmbeddedVectorIndex"/>). Not thread-safe by itself: the store guards it with a reader-writer lock.
/// </summary>
internal sealed partial class VectorIndex : IDisposable
{
    /// <summary>Below this many rows one thread scans; splitting costs more than it saves (<see cref="EmbeddedIndexSettings.ParallelAboveRows"/>).</summary>
    public int ParallelThreshold { get; set; } = new EmbeddedIndexSettings().ParallelAboveRows;

    /// <summary>Threads one search may use (<see cref="EmbeddedIndexSettings.SearchThreads"/>; benchmarks compare one and two).</summary>
    public int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Up to this k the top list is kept by insertion; beyond it the scored objects are sorted.</summary>
    private const int SmallK = 64;

    // Rows. Invariant: rows [0, _rows) are filled; a row is live when its object is.
    private float[] _matrix;
    // Invariant: null exactly when Whitening is; then rows [0, _rows) hold the whitened rows of _matrix.
    private float[]? _whitened;
    private int[] _rowObject = new int[1024];
    private int[] _rowImage = new int[1024];
    private int[] _rowRegion = new int[1024];
    // Each row's key (the SQLite rowid of its vector, 0 when none) while the rows are float; a compact index keeps them in its row file.
    private long[] _rowKey = new long[1024];
    private int _rows;
    private int _deadRows;
    // Invariant: when set, _matrix is empty, _whitened null, and _compact holds rows [0, _rows).
    private CompactRows? _compact;

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

    /// <summary>True once the rows live as <see cref="CompactRows"/> only.</summary>
    public bool IsCompact => _compact is not null;

    /// <summary>Live rows (vectors of objects not deleted).</summary>
    public int RowCount => _rows - _deadRows;

    public int ObjectCount => _objectOrdinal.Count;

    /// <summary>Sets (or refreshes) an object's filter fields; returns its ordinal.</summary>
    public int SetObject(CulturalObject record) => SetObject(IndexedObject.Of(record));

    /// <summary>Sets (or refreshes) an object's filter fields; returns its ordinal.</summary>
    public int SetObject(IndexedObject record)
    {
        if (!_objectOrdinal.TryGetValue(record.ObjectId, out int ordinal))
        {
            ordinal = NewSlot();
            _objectIds[ordinal] = record.ObjectId;
            _objectAlive[ordinal] = 1;
            _objectOrdinal[record.ObjectId] = ordinal;
        }
        _objectRegistry[ordinal] = Code(_registryCodes, record.Registry);
        _objectType[ordinal] = Code(_typeCodes, record.ObjectType);
        _objectCountry[ordinal] = Code(_countryCodes, record.Country);
        _objectStatus[ordinal] = (int)record.Status;
        return ordinal;
    }

    /// <summary>A new object ordinal, not alive and without rows.</summary>
    private int NewSlot()
    {
        if (_objectSlots == _objectIds.Length)
            GrowObjects(_objectSlots * 2);
        int ordinal = _objectSlots++;
        _objectIds[ordinal] = null;
        _objectAlive[ordinal] = 0;
        _objectRows[ordinal] = [];
        return ordinal;
    }

    /// <summary>Appends one vector of an object already set with <see cref="SetObject"/>.</summary>
    public void Add(string objectId, string imageId, int region, ReadOnlySpan<float> vector)
    {
        AppendRow(objectId, imageId, region, vector, 0);
        if (_compact is not null)
            AppendCompact([vector.ToArray()]);
        else
            Whitening?.Apply([vector.ToArray()], WhitenedRows(_rows - 1, 1));
    }

    /// <summary>Appends rows of objects already set (a store loading), made compact or whitened together; keys: their SQLite rowids.</summary>
    public void AddRows(IReadOnlyList<(string ObjectId, string ImageId, int Region, float[] Vector)> rows, IReadOnlyList<long>? keys = null)
    {
        if (rows.Count == 0)
            return;
        int first = _rows;
        for (int i = 0; i < rows.Count; i++)
            AppendRow(rows[i].ObjectId, rows[i].ImageId, rows[i].Region, rows[i].Vector, keys?[i] ?? 0);
        var vectors = rows.Select(r => (ReadOnlyMemory<float>)r.Vector).ToList();
        if (_compact is not null)
            AppendCompact(vectors, keys);
        else
            Whitening?.Apply(vectors, WhitenedRows(first, rows.Count));
    }

    /// <summary>
    /// Appends all vectors of one image (region = position in the list), whitened together when a
    /// whitening is installed: the projection is several MB, read once for the lot instead of per row.
    /// </summary>
    public void AddImage(string objectId, string imageId, IReadOnlyList<float[]> vectors, IReadOnlyList<long>? keys = null)
    {
        if (keys is not null && keys.Count != vectors.Count)
            throw new ArgumentException("One key a vector.", nameof(keys));
        foreach (var vector in vectors)
        {
            if (vector.Length != Dimension)
                throw new ArgumentException($"Vector has {vector.Length} dimensions; the store holds {Dimension}.");
        }
        int first = _rows;
        for (int region = 0; region < vectors.Count; region++)
            AppendRow(objectId, imageId, region, vectors[region], keys?[region] ?? 0);
        if (_compact is not null)
            AppendCompact(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), keys);
        else
            Whitening?.Apply(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), WhitenedRows(first, vectors.Count));
    }

    /// <summary>Appends a row to the plain matrix (only its bookkeeping when compact); the callers whiten or compact it.</summary>
    private void AppendRow(string objectId, string imageId, int region, ReadOnlySpan<float> vector, long key)
    {
        if (vector.Length != Dimension && !(_compact is not null && vector.IsEmpty))
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
        if (_compact is null)
        {
            vector.CopyTo(_matrix.AsSpan((int)((long)_rows * Dimension), Dimension));
            _rowKey[_rows] = key;
        }
        _rowObject[_rows] = ordinal;
        _rowImage[_rows] = image;
        _rowRegion[_rows] = region;
        _objectRows[ordinal].Add(_rows);
        _rows++;
    }

    /// <summary>Drops an object and its rows (skipped by scans until compaction); false when unknown.</summary>
    public bool Remove(string objectId)
    {
        if (!_objectOrdinal.Remove(objectId, out int ordinal))
            return false;
        _objectIds[ordinal] = null;
        _objectAlive[ordinal] = 0;
        _deadRows += _objectRows[ordinal].Count;
        foreach (int row in _objectRows[ordinal])
            KillRow(row);
        if (_deadRows > _rows / 4)
            Compact();
        return true;
    }

    /// <summary>
    /// Drops one image's rows of an object: they move to a new slot that is never alive, so scans skip
    /// them and compaction drops them like a deleted object's. False when the object has no such rows.
    /// </summary>
    public bool RemoveImage(string objectId, string imageId)
    {
        if (!_objectOrdinal.TryGetValue(objectId, out int ordinal) || !_imageOrdinal.TryGetValue(imageId, out int image))
            return false;
        var gone = _objectRows[ordinal].Where(row => _rowImage[row] == image).ToList();
        if (gone.Count == 0)
            return false;
        int grave = NewSlot();
        foreach (int row in gone)
        {
            _rowObject[row] = grave;
            KillRow(row);
        }
        _objectRows[ordinal].RemoveAll(row => _rowImage[row] == image);
        _objectRows[grave].AddRange(gone);
        _deadRows += gone.Count;
        if (_deadRows > _rows / 4)
            Compact();
        return true;
    }

    /// <summary>True when the object holds rows of the image.</summary>
    public bool Contains(string objectId, string imageId) =>
        _objectOrdinal.TryGetValue(objectId, out int ordinal) && _imageOrdinal.TryGetValue(imageId, out int image)
        && _objectRows[ordinal].Exists(row => _rowImage[row] == image);

    private void GrowRows()
    {
        long maxRows = _compact is null ? Array.MaxLength / Dimension : Array.MaxLength;
        if (_rows >= maxRows)
            throw new InvalidOperationException($"The in-memory index is full ({_rows} vectors of {Dimension} dimensions).");
        int capacity = (int)Math.Min(maxRows, _rowObject.Length * 2L);
        if (_compact is null)
            Array.Resize(ref _matrix, (int)((long)capacity * Dimension));
        if (_whitened is not null)
            Array.Resize(ref _whitened, (int)((long)capacity * Dimension));
        if (_compact is null)
            Array.Resize(ref _rowKey, capacity);
        Array.Resize(ref _rowObject, capacity);
        Array.Resize(ref _rowImage, capacity);
        Array.Resize(ref _rowRegion, capacity);
        Array.Resize(ref _rowList, capacity);
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
        var kept = new List<int>(_rows - _deadRows);
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
            kept.Add(row);
            if (write != row && _compact is not null)
            {
                _rowList[write] = _rowList[row];
            }
            else if (write != row)
            {
                _matrix.AsSpan((int)((long)row * Dimension), Dimension).CopyTo(_matrix.AsSpan((int)((long)write * Dimension), Dimension));
                _whitened?.AsSpan((int)((long)row * Dimension), Dimension).CopyTo(_whitened.AsSpan((int)((long)write * Dimension), Dimension));
                _rowKey[write] = _rowKey[row];
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
        _compact?.Compact(kept);
        AfterCompaction();
    }

    /// <summary>Unmaps the row file, if any (the index is not used after).</summary>
    public void Dispose() => _compact?.Dispose();

}
