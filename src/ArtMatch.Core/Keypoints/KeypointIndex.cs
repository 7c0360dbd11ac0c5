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
/// Every catalogue picture's keypoints in one flat array with hash tables over it, searched for each
/// photo keypoint's nearest descriptors (Hamming distance of 256-bit descriptors) and checked per
/// picture for one similarity transform. In memory, by the array sizes: about 140 bytes per keypoint
/// (the sets, their flat copy and the tables). Thread-safe; a change rebuilds the flat copy and the tables on the
/// next search.
/// </summary>
public sealed partial class KeypointIndex(KeypointMatchSettings settings)
{
    private readonly object _gate = new();
    private readonly Dictionary<(string ObjectId, string ImageId), KeypointSet> _images = [];
    private Snapshot? _snapshot;

    public KeypointMatchSettings Settings { get; } = settings;

    public int ImageCount
    {
        get
        {
            lock (_gate)
                return _images.Count;
        }
    }

    /// <summary>Adds or replaces one picture of one object.</summary>
    public void Add(string objectId, string imageId, KeypointSet keypoints)
    {
        lock (_gate)
        {
            _images[(objectId, imageId)] = keypoints;
            _snapshot = null;
        }
    }

    public void RemoveObject(string objectId)
    {
        lock (_gate)
        {
            foreach (var key in _images.Keys.Where(k => k.ObjectId == objectId).ToList())
                _images.Remove(key);
            _snapshot = null;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _images.Clear();
            _snapshot = null;
        }
    }

    /// <summary>
    /// Catalogue pictures ordered by how many of the photo's keypoints agree with theirs on one
    /// transform (most first), those with at least <paramref name="minInliers"/>, of objects that
    /// <paramref name="allowObject"/> lets through (all when null).
    /// </summary>
    public IReadOnlyList<KeypointCandidate> Search(KeypointSet query, int minInliers, int top = 5, Func<string, bool>? allowObject = null)
    {
        var snapshot = Current();
        if (query.Count == 0 || snapshot.Descriptors.Length == 0)
            return [];
        // Two stages: hashed nearest neighbours over the whole catalogue only vote for pictures (a
        // few votes survive the hashing's misses), then each voted picture is matched exhaustively,
        // which finds the correspondences the hashing missed.
        var shortlist = Votes(query, snapshot, allowObject)
            .Where(v => v.Value >= MinVotes).OrderByDescending(v => v.Value).ThenBy(v => v.Key)
            .Take(Settings.ShortlistImages).Select(v => v.Key).ToList();
        var nearest = new (int Best, int Second, int Row)[shortlist.Count][];
        Parallel.For(0, shortlist.Count, i => nearest[i] = NearestWithin(query, snapshot.Entries[shortlist[i]].Keypoints));
        var found = new KeypointCandidate?[shortlist.Count];
        Parallel.For(0, shortlist.Count, i =>
        {
            var entry = snapshot.Entries[shortlist[i]];
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
            var (inliers, transform, pairs) = KeypointGeometry.Verify(query, entry.Keypoints, matches, Settings);
            if (inliers >= minInliers)
            {
                found[i] = new KeypointCandidate(entry.ObjectId, entry.ImageId, inliers, matches.Count)
                {
                    Transform = transform,
                    CatalogueInliers = pairs.Select(p => (entry.Keypoints.Points[p.Catalogue].X, entry.Keypoints.Points[p.Catalogue].Y)).ToList(),
                };
            }
        });
        return found.OfType<KeypointCandidate>().OrderByDescending(c => c.Inliers).ThenBy(c => c.ObjectId, StringComparer.Ordinal)
            .ThenBy(c => c.ImageId, StringComparer.Ordinal).Take(top).ToList();
    }

    /// <summary>
    /// Each photo keypoint's nearest catalogue descriptor among the rows that share at least one
    /// 18-bit chunk with it (<see cref="Snapshot.Buckets"/>) votes for that row's picture, when near
    /// enough. A corner seen again differs in few bits, so some chunk is usually identical; comparing
    /// only those rows keeps a pass over millions of keypoints to milliseconds.
    /// </summary>
    private unsafe Dictionary<int, int> Votes(KeypointSet query, Snapshot snapshot, Func<string, bool>? allowObject)
    {
        var allowed = snapshot.ObjectIds.Select(id => allowObject?.Invoke(id) ?? true).ToArray();
        // Per photo keypoint: the picture of its nearest row, and the picture of the nearest row of any
        // other object when that is nearly as near (a motif two objects share), so that both pictures
        // are shortlisted and the ratio test between them can see the ambiguity.
        var nearestImages = new (int Nearest, int Rival)[query.Count];
        var q = query.Descriptors;
        var all = snapshot.Descriptors;
        Parallel.For(0, query.Count, new ParallelOptions { MaxDegreeOfParallelism = query.Count >= 64 ? Environment.ProcessorCount : 1 }, i =>
        {
            ulong q0 = q[4 * i], q1 = q[4 * i + 1], q2 = q[4 * i + 2], q3 = q[4 * i + 3];
            int bestDistance = Settings.MaxDistance + 1, bestRow = -1, bestObject = -1, rivalDistance = int.MaxValue, rivalRow = -1;
            fixed (ulong* descriptors = all)
            for (int table = 0; table < Snapshot.Tables; table++)
            {
                int key = Snapshot.Chunk(q, i, table);
                var starts = snapshot.BucketStarts[table];
                int from = starts[key], to = starts[key + 1];
                // A chunk shared by very many corners (flat gradients) says little; skip it.
                if (to - from > MaxBucket)
                    continue;
                var rows = snapshot.Buckets[table];
                // The rows of a bucket lie scattered over the catalogue's descriptors: asking for the
                // ones a few rows ahead keeps several memory reads in flight instead of one at a time.
                for (int k = from; k < Math.Min(to, from + PrefetchAhead); k++)
                    Prefetch(descriptors + 4 * rows[k]);
                for (int k = from; k < to; k++)
                {
                    if (k + PrefetchAhead < to)
                        Prefetch(descriptors + 4 * rows[k + PrefetchAhead]);
                    int r = rows[k];
                    int d = Hamming(q0, q1, q2, q3, descriptors + 4 * r);
                    if (d >= rivalDistance && d >= bestDistance)
                        continue;
                    int obj = snapshot.ObjectOfImage[snapshot.ImageOfRow[r]];
                    if (!allowed[obj] || r == bestRow)
                        continue;
                    if (d < bestDistance)
                    {
                        if (obj != bestObject && bestRow >= 0)
                            (rivalDistance, rivalRow) = (bestDistance, bestRow);
                        (bestDistance, bestRow, bestObject) = (d, r, obj);
                    }
                    else if (obj != bestObject && d < rivalDistance)
                    {
                        (rivalDistance, rivalRow) = (d, r);
                    }
                }
            }
            bool rivalNear = bestRow >= 0 && rivalRow >= 0 && bestDistance >= Settings.Ratio * rivalDistance;
            nearestImages[i] = (bestRow < 0 ? -1 : snapshot.ImageOfRow[bestRow], rivalNear ? snapshot.ImageOfRow[rivalRow] : -1);
        });
        var votes = new Dictionary<int, int>();
        foreach (var (nearest, rival) in nearestImages)
        {
            if (nearest >= 0)
                votes[nearest] = votes.GetValueOrDefault(nearest) + 1;
            if (rival >= 0)
                votes[rival] = votes.GetValueOrDefault(rival) + 1;
        }
        return votes;
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

    private Snapshot Current()
    {
        lock (_gate)
            return _snapshot ??= Snapshot.Build(_images);
    }

    /// <summary>An immutable flat copy searches read without locks; rebuilt after a change.</summary>
    private sealed class Snapshot
    {
        public required (string ObjectId, string ImageId, KeypointSet Keypoints)[] Entries { get; init; }
        public required string[] ObjectIds { get; init; }
        public required int[] ObjectOfImage { get; init; }
        public required int[] FirstRow { get; init; }
        public required int[] ImageOfRow { get; init; }
        public required ulong[] Descriptors { get; init; }

        /// <summary>
        /// Bits per hash key. Longer keys make smaller buckets (fewer rows compared) but a repeated
        /// corner is less likely to keep some key intact: with 18 bits and 14 tables, one that differs
        /// in 20 of 256 bits keeps at least one key intact 97 % of the time, in 30 bits 77 %.
        /// </summary>
        public const int KeyBits = 18;

        /// <summary>Hash tables, one per 18-bit chunk of the descriptor: rows sorted by that chunk's value.</summary>
        public const int Tables = KeypointSet.DescriptorWords * 64 / KeyBits;

        /// <summary>Per table: where each chunk value's rows start in <see cref="Buckets"/> (2^18 + 1 entries).</summary>
        public required int[][] BucketStarts { get; init; }

        public required int[][] Buckets { get; init; }

        /// <summary>Bits [18 t, 18 t + 18) of a descriptor (a chunk may straddle two words).</summary>
        public static int Chunk(ulong[] descriptors, int row, int table)
        {
            int bit = table * KeyBits, word = row * KeypointSet.DescriptorWords + bit / 64, shift = bit % 64;
            ulong value = descriptors[word] >> shift;
            if (shift + KeyBits > 64)
                value |= descriptors[word + 1] << (64 - shift);
            return (int)(value & ((1UL << KeyBits) - 1));
        }

        public static Snapshot Build(Dictionary<(string ObjectId, string ImageId), KeypointSet> images)
        {
            var entries = images.OrderBy(e => e.Key.ObjectId, StringComparer.Ordinal).ThenBy(e => e.Key.ImageId, StringComparer.Ordinal)
                .Select(e => (e.Key.ObjectId, e.Key.ImageId, Keypoints: e.Value)).ToArray();
            var objectOrdinals = new Dictionary<string, int>(StringComparer.Ordinal);
            var objectOfImage = entries.Select(e => objectOrdinals.TryGetValue(e.ObjectId, out int o) ? o : objectOrdinals[e.ObjectId] = objectOrdinals.Count).ToArray();
            int rows = entries.Sum(e => e.Keypoints.Count);
            var firstRow = new int[entries.Length];
            var imageOfRow = new int[rows];
            var descriptors = new ulong[rows * KeypointSet.DescriptorWords];
            int at = 0;
            for (int i = 0; i < entries.Length; i++)
            {
                firstRow[i] = at;
                var set = entries[i].Keypoints;
                Array.Fill(imageOfRow, i, at, set.Count);
                set.Descriptors.CopyTo(descriptors, at * KeypointSet.DescriptorWords);
                at += set.Count;
            }
            var starts = new int[Tables][];
            var buckets = new int[Tables][];
            Parallel.For(0, Tables, table =>
            {
                // Counting sort of the rows by this table's chunk.
                var start = new int[(1 << KeyBits) + 1];
                for (int r = 0; r < rows; r++)
                    start[Chunk(descriptors, r, table) + 1]++;
                for (int k = 0; k < 1 << KeyBits; k++)
                    start[k + 1] += start[k];
                var next = start[..^1];
                var bucket = new int[rows];
                for (int r = 0; r < rows; r++)
                    bucket[next[Chunk(descriptors, r, table)]++] = r;
                (starts[table], buckets[table]) = (start, bucket);
            });
            return new Snapshot
            {
                Entries = entries, ObjectIds = [.. objectOrdinals.OrderBy(o => o.Value).Select(o => o.Key)], ObjectOfImage = objectOfImage,
                FirstRow = firstRow, ImageOfRow = imageOfRow, Descriptors = descriptors, BucketStarts = starts, Buckets = buckets,
            };
        }
    }
}
