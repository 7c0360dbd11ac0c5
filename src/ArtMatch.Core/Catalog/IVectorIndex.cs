namespace ArtMatch.Core.Catalog;

/// <summary>What a row describes: a whole catalogue picture (region 0) or one of its regional windows.</summary>
public enum RowKind : byte
{
    Whole = 0,
    Region = 1,
}

/// <summary>
/// The payload every row of one object carries: its id and the record fields searches filter on
/// (<see cref="SearchFilter"/>: registry, object type, status, country).
/// </summary>
public sealed record IndexedObject(string ObjectId, string? Registry, string? ObjectType, ObjectStatus Status, string? Country)
{
    public static IndexedObject Of(CulturalObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.ObjectId, record.Registry, record.ObjectType, record.Status, record.Country);
    }
}

/// <summary>
/// One catalogue image's rows: <see cref="Vectors"/>[0] is the whole picture (<see cref="RowKind.Whole"/>),
/// the rest its regions (region = position in the list), each of the model's dimension.
/// </summary>
public sealed record IndexedImage(string ImageId, IReadOnlyList<float[]> Vectors)
{
    public static RowKind KindOf(int region) => region == 0 ? RowKind.Whole : RowKind.Region;
}

/// <summary>
/// The vector half of the catalogue: rows of model vectors, each with its object, image, kind and its
/// object's filter fields, searched for the best objects. The embedded implementation lives in
/// ArtMatch.Storage (<c>EmbeddedVectorIndex</c>); a server-backed one (Qdrant) implements the same. The
/// record store (SQLite) stays the truth for records and images; it writes here after its own commit.
/// All members are thread-safe.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>Dimension of the vectors given and queried (the model's).</summary>
    int Dimension { get; }

    /// <summary>Rows of live objects.</summary>
    int RowCount { get; }

    /// <summary>
    /// Sets the object's payload (creating it when new; the filter fields of its existing rows change too)
    /// and appends the rows of <paramref name="images"/>, which the object must not hold yet.
    /// </summary>
    void Upsert(IndexedObject record, IReadOnlyList<IndexedImage> images);

    /// <summary>Drops the object and all its rows; false when there was none.</summary>
    bool DeleteObject(string objectId);

    /// <summary>Drops one image's rows of the object (the object and its other rows stay); false when it had none.</summary>
    bool DeleteImage(string objectId, string imageId);

    /// <summary>True when the object holds rows of the image (a record store asks before it skips an image as present).</summary>
    bool Contains(string objectId, string imageId);

    /// <summary>
    /// For each query (the model's vectors, unit length), the top <paramref name="k"/> objects passing
    /// <paramref name="filter"/> (only <see cref="RowKind.Whole"/> rows when <see cref="SearchFilter.WholeImagesOnly"/>),
    /// each object once with its best row: <see cref="VectorHit.Score"/> the plain cosine, <see cref="VectorHit.WhitenedScore"/>
    /// what the index ranked by when that differs (null otherwise). Results in query order, best first,
    /// ties by object id.
    /// </summary>
    IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter);

    /// <summary>The best row of each named object for <paramref name="query"/> (scored as <see cref="SearchMany"/>); unknown objects left out.</summary>
    IReadOnlyList<VectorHit> ScoreObjects(float[] query, IReadOnlyCollection<string> objectIds);

    /// <summary>Ids of the live objects passing <paramref name="filter"/>'s record fields; null when the filter restricts nothing (every object).</summary>
    IReadOnlySet<string>? AllowedObjectIds(SearchFilter filter);

    /// <summary>
    /// Learns again what the index ranks by from its rows (the embedded index: the catalogue's PCA
    /// whitening) when it has nothing learned or its rows changed by more than <paramref name="staleShare"/>
    /// since (0: always). False when nothing was learned (too few rows, still fresh, or an index that
    /// learns nothing).
    /// </summary>
    bool Train(double staleShare);

    /// <summary>Makes every completed write durable (an index that writes through does nothing).</summary>
    void Flush();
}
