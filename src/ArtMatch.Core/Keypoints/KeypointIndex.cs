using System.Numerics;
using System.Runtime.CompilerServices;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Keypoints;

/// <summary>A catalogue picture whose keypoints agree with the photo's on one transform.</summary>
public sealed record KeypointCandidate(string ObjectId, string ImageId, int Inliers, int Matches)
{
    /// <summary>Catalogue pixels to photo pixels, fitted to the inliers.</summary>
    public SimilarityTransform? Transform { get; init; }

    /// <summary>Where the inliers lie in the catalogue picture (its pixels, as its keypoints were found).</summary>
    public IReadOnlyList<(float X, float Y)> CatalogueInliers { get; init; } = [];
}

/// <summary>How binary descriptors are matched and the matches checked.</summary>
public sealed record KeypointMatchSettings
{
    /// <summary>Most differing bits (of 256) for two descriptors to count as the same corner.</summary>
    public int MaxDistance { get; init; } = 64;

    /// <summary>
    /// Lowe's ratio test: the nearest descriptor must be clearly nearer than the second nearest in its
    /// picture and than the nearest in any other object's picture.
    /// </summary>
    public float Ratio { get; init; } = 0.8f;

    /// <summary>Catalogue pictures (most voted first) matched exhaustively after the hashed search.</summary>
    public int ShortlistImages { get; init; } = 6;

    /// <summary>Position tolerance of an inlier, in pixels of the photo's pyramid level the corner was found in.</summary>
    public float TolerancePixels { get; init; } = 3f;

    /// <summary>How far (as a factor) a match's own scale change may differ from the transform's.</summary>
    public float ScaleTolerance { get; init; } = 1.5f;

    /// <summary>How far (radians) a match's own turn may differ from the transform's.</summary>
    public float AngleTolerance { get; init; } = 0.5f;
}

/// <summary>
/// Every catalogue picture's keypoints, searched for each photo keypoint's nearest descriptors
/// (Hamming distance of 256-bit descriptors) through hash tables over 18-bit descriptor chunks, and
/// checked per picture for one similarity transform. Without a file (<see cref="OpenFile"/>) every
/// picture is held in memory (about 190 bytes a keypoint with its tables). With one, the pictures
/// written to the file stay on disk, memory-mapped (<see cref="KeypointFile"/>): a search reads the
/// posting lists and descriptors it touches and copies out only the few pictures its vote shortlists;
/// pictures added since the file was written are held in memory (the delta), removed or replaced ones
/// are skipped (tombstones), and both are merged into a new file in the background. Thread-safe; a
/// change rebuilds the in-memory part's tables on the next search.
/// </summary>
public sealed partial class KeypointIndex(KeypointMatchSettings settings) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<(string ObjectId, string ImageId), Entry> _entries = [];
    private Snapshot? _snapshot;

    public KeypointMatchSettings Settings { get; } = settings;

    public int ImageCount
    {
        get
        {
            lock (_gate)
                return _entries.Count;
        }
    }

    /// <summary>One picture: in the current file (its ordinal there) or in memory.</summary>
    private sealed record Entry(KeypointFile? File, int FileImage, KeypointSet? Set, long Stamp)
    {
        public int Count => Set?.Count ?? File!.Counts[FileImage];
    }

    /// <summary>Adds or replaces one picture of one object (<paramref name="stamp"/>: see <see cref="KeypointFileEntry.Stamp"/>).</summary>
    public void Add(string objectId, string imageId, KeypointSet keypoints, long stamp = 0)
    {
        ArgumentNullException.ThrowIfNull(keypoints);
        lock (_gate)
        {
            Forget(_entries.GetValueOrDefault((objectId, imageId)));
            _entries[(objectId, imageId)] = new Entry(null, -1, keypoints, stamp);
            _memoryRows += keypoints.Count;
            _snapshot = null;
            Changed();
        }
    }

    public void RemoveObject(string objectId)
    {
        lock (_gate)
        {
            foreach (var key in _entries.Keys.Where(k => k.ObjectId == objectId).ToList())
            {
                Forget(_entries[key]);
                _entries.Remove(key);
            }
            _snapshot = null;
            Changed();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            foreach (var entry in _entries.Values)
                Forget(entry);
            _entries.Clear();
            _snapshot = null;
            Changed();
        }
    }

    /// <summary>Accounts for an entry leaving (under the lock): memory rows freed, or file rows now dead.</summary>
    private void Forget(Entry? entry)
    {
        if (entry?.Set is not null)
            _memoryRows -= entry.Set.Count;
        else if (entry is not null)
            _deadRows += entry.Count;
    }

    /// <summary>
    /// Catalogue pictures ordered by how many of the photo's keypoints agree with theirs on one
    /// transform (most first), those with at least <paramref name="minInliers"/>, of objects that
    /// <paramref name="allowObject"/> lets through (all when null). <paramref name="cancellation"/> stops it between
    /// its passes and inside them (a speculation that is no longer needed).
    /// </summary>
    public IReadOnlyList<KeypointCandidate> Search(KeypointSet query, int minInliers, int top = 5, Func<string, bool>? allowObject = null,
        CancellationToken cancellation = default)
    {
        var snapshot = Lease();
        try
        {
            return Search(snapshot, query, minInliers, top, allowObject, cancellation);
        }
        finally
        {
            snapshot.File?.Release();
        }
    }

    private IReadOnlyList<KeypointCandidate> Search(Snapshot snapshot, KeypointSet query, int minInliers, int top, Func<string, bool>? allowObject,
        CancellationToken cancellation)
    {
        if (query.Count == 0 || snapshot.Rows == 0)
            return [];
        // Two stages: hashed nearest neighbours over the whole catalogue only vote for pictures (a
        // few votes survive the hashing's misses), then each voted picture is matched exhaustively,
        // which finds the correspondences the hashing missed.
        var shortlist = Votes(query, snapshot, allowObject, cancellation)
            .Where(v => v.Value >= MinVotes).OrderByDescending(v => v.Value).ThenBy(v => v.Key)
            .Take(Settings.ShortlistImages).Select(v => v.Key).ToList();
        var sets = shortlist.Select(snapshot.Keypoints).ToArray();
        var nearest = new (int Best, int Second, int Row)[shortlist.Count][];
        var stoppable = new ParallelOptions { CancellationToken = cancellation };
        Parallel.For(0, shortlist.Count, stoppable, i => nearest[i] = NearestWithin(query, sets[i]));
        var found = new KeypointCandidate?[shortlist.Count];
        Parallel.For(0, shortlist.Count, stoppable, i =>
        {
            var (objectId, imageId) = snapshot.Key(shortlist[i]);
            var set = sets[i];
            var matches = new List<(int Query, int Catalogue)>();
            for (int k = 0; k < query.Count; k++)
            {
                var (best, second, row) = nearest[i][k];
                // Lowe's ratio test within the picture (a corner repeated across it, like one window of
                // many, cannot say where it is) and against the other objects' shortlisted pictures (a
                // corner they share, like the stars on every euro coin, cannot say which object it is).
                int otherObjects = int.MaxValue;
                for (int j = 0; j < shortlist.Count; j++)
                {
                    if (snapshot.ObjectOfImage[shortlist[j]] != snapshot.ObjectOfImage[shortlist[i]])
                        otherObjects = Math.Min(otherObjects, nearest[j][k].Best);
                }
                if (best <= Settings.MaxDistance && best < Settings.Ratio * second && best < Settings.Ratio * otherObjects)
                    matches.Add((k, row));
            }
            if (matches.Count < minInliers)
                return;
            var (inliers, transform, pairs) = KeypointGeometry.Verify(query, set, matches, Settings);
            if (inliers >= minInliers)
            {
                found[i] = new KeypointCandidate(objectId, imageId, inliers, matches.Count)
                {
                    Transform = transform,
                    CatalogueInliers = pairs.Select(p => (set.Points[p.Catalogue].X, set.Points[p.Catalogue].Y)).ToList(),
                };
            }
        });
        return found.OfType<KeypointCandidate>().OrderByDescending(c => c.Inliers).ThenBy(c => c.ObjectId, StringComparer.Ordinal)
            .ThenBy(c => c.ImageId, StringComparer.Ordinal).Take(top).ToList();
    }

    /// <summary>The current snapshot (built when missing), with its file leased until the caller releases it.</summary>
    private Snapshot Lease()
    {
        lock (_gate)
        {
            var snapshot = _snapshot ??= Snapshot.Build(_entries, _file, _fileObjects);
            snapshot.File?.Lease();
            return snapshot;
        }
    }

    /// <summary>
    /// One photo against one picture, without an index (1:1 verification): each photo keypoint's
    /// nearest descriptor in the picture, exhaustively, kept when near enough and clearly nearer than
    /// the second nearest (Lowe's ratio test within the picture), then checked for one transform as
    /// <see cref="Search"/> checks its shortlist. Null below <paramref name="minInliers"/>.
    /// </summary>
    public static KeypointCandidate? MatchPair(KeypointSet query, KeypointSet picture, int minInliers, KeypointMatchSettings settings, string imageId = "")
    {
        if (query.Count == 0 || picture.Count == 0)
            return null;
        var nearest = NearestWithin(query, picture);
        var matches = new List<(int Query, int Catalogue)>();
        for (int k = 0; k < query.Count; k++)
        {
            var (best, second, row) = nearest[k];
            if (best <= settings.MaxDistance && best < settings.Ratio * second)
                matches.Add((k, row));
        }
        if (matches.Count < minInliers)
            return null;
        var (inliers, transform, pairs) = KeypointGeometry.Verify(query, picture, matches, settings);
        return inliers < minInliers ? null : new KeypointCandidate("", imageId, inliers, matches.Count)
        {
            Transform = transform,
            CatalogueInliers = pairs.Select(p => (picture.Points[p.Catalogue].X, picture.Points[p.Catalogue].Y)).ToList(),
        };
    }

    /// <summary>Differing bits between a descriptor given as its four words and the one at <paramref name="words"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int Hamming(ulong a0, ulong a1, ulong a2, ulong a3, ulong* words) =>
        BitOperations.PopCount(a0 ^ words[0]) + BitOperations.PopCount(a1 ^ words[1])
        + BitOperations.PopCount(a2 ^ words[2]) + BitOperations.PopCount(a3 ^ words[3]);

    /// <summary>Bucket rows whose descriptors are asked for ahead of their comparison.</summary>
    private const int PrefetchAhead = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ulong* address)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(address);
    }

    /// <summary>A single vote is what any picture gets by chance from a large catalogue; it is not worth an exhaustive match.</summary>
    private const int MinVotes = 2;

    /// <summary>Rows in one hash bucket beyond which the bucket is skipped.</summary>
    private const int MaxBucket = 512;
}
