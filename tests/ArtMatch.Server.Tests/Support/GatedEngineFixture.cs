using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Core.Embedding;
using ArtMatch.Server.Hosting;
using ArtMatch.Storage;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// A second real engine over a small real store (5 dev objects) that tests reach into through a
/// <see cref="GatedStore"/>: to hold a match half way (deadlines, cancellation), fail like a bug, or
/// re-learn on demand. Each test installs a fresh gate (<see cref="NewGate"/>).
/// </summary>
public sealed class GatedEngineFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("artmatch-gated-").FullName;
    private readonly SqliteCatalogStore _store;

    public GatedEngineFixture()
    {
        Objects = EngineFixture.DevObjects(5);
        Engine = ArtMatchEngine.Create(new ArtMatchConfig());
        _store = SqliteCatalogStore.Open(_directory, Engine.Describer.VectorSpaceId, Engine.Describer.Dimension);
        Engine.UseStore(new DelegatingStore(_store));
        EngineFixture.ImportInto(Engine, _directory, Objects);
    }

    public ArtMatchEngine Engine { get; }

    public IReadOnlyList<(string Id, string Image)> Objects { get; }

    public GatedStore NewGate()
    {
        var gate = new GatedStore(_store);
        Engine.UseStore(gate);
        return gate;
    }

    public void Dispose()
    {
        Engine.Dispose();
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class GatedStore(ICatalogStore inner) : DelegatingStore(inner)
{
    // Only a guard against a test that forgets to open a gate; longer than any deadline a test lets
    // pass while the gate holds (CallLifecycleTests gives a slow machine up to 270 s).
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(15);

    /// <summary>Set, vector searches wait inside the matcher until <see cref="Open"/>.</summary>
    public bool HoldSearches { get; set; }

    /// <summary>Set, whitening refreshes look due (a large, never-whitened catalogue) and wait until <see cref="Open"/>.</summary>
    public bool HoldWhitening { get; set; }

    /// <summary>Thrown by vector searches (a vector server out of reach).</summary>
    public Exception? SearchFails { get; set; }

    /// <summary>Thrown by <see cref="Get"/>: a fault of the server, not of the caller.</summary>
    public Exception? GetFails { get; set; }

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _open.TrySetResult();

    public override IReadOnlyList<IReadOnlyList<VectorHit>> SearchMany(IReadOnlyList<float[]> queries, int k, SearchFilter filter)
    {
        if (HoldSearches)
            Wait();
        if (SearchFails is { } error)
            throw error;
        return base.SearchMany(queries, k, filter);
    }

    public override int VectorCount => HoldWhitening ? 1_000_000 : base.VectorCount;

    public override Whitening? Whitening => HoldWhitening ? null : base.Whitening;

    public override bool RefreshWhitening(double staleShare = 0.25)
    {
        if (!HoldWhitening)
            return base.RefreshWhitening(staleShare);
        Wait();
        return false;
    }

    /// <summary>Calls of <see cref="Get"/> so far: the matcher's judge reads the records of its top candidates.</summary>
    public int GetCalls => Volatile.Read(ref _getCalls);

    private int _getCalls;

    public override CulturalObject? Get(string objectId)
    {
        Interlocked.Increment(ref _getCalls);
        return GetFails is { } error ? throw error : base.Get(objectId);
    }

    private void Wait()
    {
        Entered.TrySetResult();
        if (!_open.Task.Wait(Hang))
            throw new TimeoutException("The test never opened the gate.");
    }
}
