using System.Collections.Concurrent;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Evaluation;

/// <summary>
/// How much the SIFT first stage (visual words, inverted file) loses against brute force: over the
/// queries whose expected picture gets at least <see cref="MinInliers"/> verified inliers when matched
/// directly, the share whose expected picture is among those the first stage passes to verification.
/// </summary>
/// <param name="Ranks">Per eligible query, the first-stage rank (0 = first) of its best-ranked expected picture; -1 beyond <see cref="DeepestRank"/>.</param>
public sealed record SiftSearchRecall(int Queries, int Eligible, int Shortlisted, IReadOnlyList<string> Missed, IReadOnlyList<int> Ranks)
{
    public const int MinInliers = 15;

    /// <summary>How deep the first stage's ranking is read to report recall at longer shortlists than the configured one.</summary>
    public const int DeepestRank = 160;

    public double Recall => Eligible == 0 ? 0 : (double)Shortlisted / Eligible;

    /// <summary>The share of eligible queries whose expected picture ranks among the first <paramref name="shortlist"/>.</summary>
    public double RecallAt(int shortlist) => Eligible == 0 ? 0 : Ranks.Count(r => r >= 0 && r < shortlist) / (double)Eligible;

    public static SiftSearchRecall Measure(SiftSearch sift, ICatalogStore store, IReadOnlyList<EvalQuery> queries, Func<byte[], RgbImage> decode, int parallelism)
    {
        int eligible = 0, shortlisted = 0;
        var missed = new ConcurrentBag<string>();
        var ranks = new ConcurrentBag<int>();
        int shortlist = sift.Settings.Shortlist, depth = Math.Max(shortlist, DeepestRank);
        var matchable = queries.Where(q => q.IsMatchable).ToList();
        Parallel.ForEach(matchable, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, query =>
        {
            RgbImage photo;
            try
            {
                photo = decode(File.ReadAllBytes(query.ImagePath));
            }
            catch (ImageDecodeException)
            {
                return;
            }
            var features = sift.Describe(photo, forCatalogue: false);
            var expected = query.ExpectedObjectIds.SelectMany(store.GetImages).Select(i => i.ImageId).ToHashSet(StringComparer.Ordinal);
            if (!expected.Any(id => sift.Verify(features, id).Inliers >= MinInliers))
                return;
            Interlocked.Increment(ref eligible);
            var hits = sift.Shortlist(features, SearchFilter.None, null, depth);
            int rank = -1;
            for (int i = 0; i < hits.Count && rank < 0; i++)
            {
                if (expected.Contains(hits[i].ImageId))
                    rank = i;
            }
            ranks.Add(rank);
            if (rank >= 0 && rank < shortlist)
                Interlocked.Increment(ref shortlisted);
            else
                missed.Add(Path.GetFileName(query.ImagePath));
        });
        return new SiftSearchRecall(matchable.Count, eligible, shortlisted, missed.Order(StringComparer.Ordinal).ToList(), ranks.Order().ToList());
    }
}
