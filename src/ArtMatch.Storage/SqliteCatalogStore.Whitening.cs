using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage;

/// <summary>The catalogue's whitening: learned by the vector index, kept in SQLite per model.</summary>
public sealed partial class SqliteCatalogStore
{
    private Whitening? ReadWhitening()
    {
        using var command = Command("SELECT dimension, learned_from, mean, projection FROM whitening WHERE model_id = $model", ("$model", ModelId));
        using var reader = command.ExecuteReader();
        if (!reader.Read() || reader.GetInt32(0) != Dimension)
            return null;
        var mean = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(2)).ToArray();
        var projection = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(3)).ToArray();
        return Whitening.FromStored(Dimension, mean, projection, reader.GetInt32(1));
    }

    public Whitening? Whitening => _external is null ? _vectors.Whitening : null;

    /// <summary>The embedded index learns its inverted file once when the bulk load ends (<see cref="EmbeddedVectorIndex.BeginBulkLoad"/>).</summary>
    public IDisposable BeginBulkLoad() => _vectors.BeginBulkLoad();

    /// <summary>
    /// Learns the whitening from the current vectors when there is none or it is stale (see
    /// <see cref="ICatalogStore.RefreshWhitening"/>), stores it, and installs it. Writers wait meanwhile
    /// (8 s for the 15.5k vectors of 500 pictures; whitening every row grows with the catalogue);
    /// searches go on with the old ranking until the switch.
    /// </summary>
    public bool RefreshWhitening(double staleShare = 0.25)
    {
        // The SQL lock first, as every writer takes it: the index's writer lock comes second.
        lock (_dbLock)
            return _external is null && _vectors.IsCompact ? RelearnCompact(staleShare) : Index.Train(staleShare);
    }

    /// <summary>
    /// A compact index keeps no float rows: the whitening is learned again from SQLite's vectors (an even
    /// sample of at most <see cref="Whitening.MaxSample"/>), stored, and the index rebuilt from SQLite with
    /// it (<see cref="LoadIndex"/>), all under the SQL lock as a writer.
    /// </summary>
    private bool RelearnCompact(double staleShare)
    {
        int count = _vectors.RowCount;
        var current = _vectors.Whitening;
        if (count < Whitening.MinVectors(Dimension))
            return false;
        if (current is not null && staleShare > 0 && Math.Abs(count - current.LearnedFrom) <= staleShare * current.LearnedFrom)
            return false;
        long stored = Sql.Scalar<long>(_db, "SELECT COUNT(*) FROM vectors WHERE model_id = $model", ("$model", ModelId));
        long stride = Math.Max(1, (stored + Whitening.MaxSample - 1) / Whitening.MaxSample);
        var sample = new List<ReadOnlyMemory<float>>();
        using (var command = Command("SELECT data FROM vectors WHERE model_id = $model", ("$model", ModelId)))
        using (var reader = command.ExecuteReader())
        {
            for (long i = 0; reader.Read(); i++)
            {
                if (i % stride == 0)
                    sample.Add(MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(0)).ToArray());
            }
        }
        if (sample.Count < Whitening.MinVectors(Dimension))
            return false;
        var learned = Whitening.Learn(sample, Dimension);
        var whitening = Whitening.FromStored(Dimension, learned.Mean.ToArray(), learned.Projection.ToArray(), count);
        StoreWhitening(whitening);
        LoadIndex();
        return true;
    }

    /// <summary>Keeps a whitening the vector index learned, with an audit entry, in one transaction.</summary>
    private void StoreWhitening(Whitening whitening)
    {
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            Run("""
                INSERT OR REPLACE INTO whitening (model_id, dimension, learned_from, learned_at, mean, projection)
                VALUES ($model, $dimension, $count, $at, $mean, $projection)
                """, ("$model", ModelId), ("$dimension", Dimension), ("$count", whitening.LearnedFrom), ("$at", Now()),
                ("$mean", MemoryMarshal.AsBytes(whitening.Mean).ToArray()), ("$projection", MemoryMarshal.AsBytes(whitening.Projection).ToArray()));
            AuditLocked(null, "whiten", null, $"learned from {whitening.LearnedFrom} vectors of {ModelId}");
            transaction.Commit();
        }
    }

    /// <summary>Searches without the whitening until the store is opened again (benchmarks compare the two).</summary>
    internal void SuspendWhitening() => _vectors.SuspendWhitening();
}
