using System.Runtime.CompilerServices;

namespace ArtMatch.Core.Keypoints;

public sealed partial class KeypointIndex
{
    /// <summary>
    /// Each photo keypoint's nearest catalogue descriptor among the rows that share at least one
    /// 18-bit chunk with it (the file's posting lists and the in-memory part's tables) votes for that
    /// row's picture, when near enough. A corner seen again differs in few bits, so some chunk is
    /// usually identical; comparing only those rows keeps a pass over millions of keypoints to
    /// milliseconds. Pictures removed or replaced since the file was written are skipped.
    /// </summary>
    private unsafe Dictionary<int, int> Votes(KeypointSet query, Snapshot snapshot, Func<string, bool>? allowObject, CancellationToken cancellation)
    {
        var allowedObject = snapshot.ObjectIds.Select(id => allowObject?.Invoke(id) ?? true).ToArray();
        var allowed = new bool[snapshot.Images];
        for (int image = 0; image < allowed.Length; image++)
            allowed[image] = (image >= snapshot.FileImages || snapshot.FileLive[image]) && allowedObject[snapshot.ObjectOfImage[image]];
        // Per photo keypoint: the picture of its nearest row, and the picture of the nearest row of any
        // other object when that is nearly as near (a motif two objects share), so that both pictures
        // are shortlisted and the ratio test between them can see the ambiguity.
        var nearestImages = new (int Nearest, int Rival)[query.Count];
        var file = snapshot.File;
        var options = new ParallelOptions { MaxDegreeOfParallelism = query.Count >= 64 ? Environment.ProcessorCount : 1, CancellationToken = cancellation };
        Parallel.For(0, query.Count, options, i =>
        {
            var n = new Nearest(Settings.MaxDistance + 1);
            fixed (ulong* q = query.Descriptors, memoryDescriptors = snapshot.MemoryDescriptors)
            fixed (int* memoryImageOfRow = snapshot.MemoryImageOfRow)
            {
                ulong* qi = q + 4 * i;
                for (int table = 0; table < Snapshot.Tables; table++)
                {
                    int key = KeypointFile.Chunk(q, i, table);
                    var (fileFrom, fileTo) = file?.Bucket(table, key) ?? (0, 0);
                    var (memoryFrom, memoryTo) = snapshot.MemoryBucket(table, key);
                    // A chunk shared by very many corners (flat gradients) says little; skip it.
                    if (fileTo - fileFrom + memoryTo - memoryFrom > MaxBucket)
                        continue;
                    if (fileTo > fileFrom)
                        Scan(ref n, qi, file!.Postings(table), fileFrom, fileTo, file.Descriptors, file.ImageOfRow, 0, 0, allowed, snapshot.ObjectOfImage);
                    if (memoryTo > memoryFrom)
                    {
                        fixed (uint* postings = snapshot.MemoryPostings[table])
                        {
                            Scan(ref n, qi, postings, memoryFrom, memoryTo, memoryDescriptors, memoryImageOfRow,
                                snapshot.FileRows, snapshot.FileImages, allowed, snapshot.ObjectOfImage);
                        }
                    }
                }
            }
            bool rivalNear = n.BestRow >= 0 && n.RivalRow >= 0 && n.BestDistance >= Settings.Ratio * n.RivalDistance;
            nearestImages[i] = (n.BestRow < 0 ? -1 : n.BestImage, rivalNear ? n.RivalImage : -1);
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

    /// <summary>The nearest row so far and the nearest of another object (the rival), with their pictures.</summary>
    private struct Nearest(int maxDistance)
    {
        public int BestDistance = maxDistance, BestRow = -1, BestObject = -1, BestImage = -1;
        public int RivalDistance = int.MaxValue, RivalRow = -1, RivalImage = -1;
    }

    /// <summary>
    /// Compares the photo descriptor at <paramref name="query"/> with the rows listed in
    /// <paramref name="rows"/> [from, to) (rows local to their part, numbered globally by
    /// <paramref name="rowBase"/> and their pictures by <paramref name="imageBase"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Scan(ref Nearest n, ulong* query, uint* rows, int from, int to, ulong* descriptors, int* imageOfRow,
        int rowBase, int imageBase, bool[] allowed, int[] objectOfImage)
    {
        ulong q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3];
        // The rows of a bucket lie scattered over the catalogue's descriptors: asking for the ones a
        // few rows ahead keeps several memory reads (or page faults of the file) in flight instead of one at a time.
        for (int k = from; k < Math.Min(to, from + PrefetchAhead); k++)
            Prefetch(descriptors + 4L * rows[k]);
        for (int k = from; k < to; k++)
        {
            if (k + PrefetchAhead < to)
                Prefetch(descriptors + 4L * rows[k + PrefetchAhead]);
            int local = (int)rows[k];
            int d = Hamming(q0, q1, q2, q3, descriptors + 4L * local);
            if (d >= n.RivalDistance && d >= n.BestDistance)
                continue;
            int image = imageBase + imageOfRow[local], r = rowBase + local;
            if (!allowed[image] || r == n.BestRow)
                continue;
            int obj = objectOfImage[image];
            if (d < n.BestDistance)
            {
                if (obj != n.BestObject && n.BestRow >= 0)
                    (n.RivalDistance, n.RivalRow, n.RivalImage) = (n.BestDistance, n.BestRow, n.BestImage);
                (n.BestDistance, n.BestRow, n.BestObject, n.BestImage) = (d, r, obj, image);
            }
            else if (obj != n.BestObject && d < n.RivalDistance)
            {
                (n.RivalDistance, n.RivalRow, n.RivalImage) = (d, r, image);
            }
        }
    }
}
