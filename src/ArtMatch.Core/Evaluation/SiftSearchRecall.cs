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
public sealed record SiftSearchRecall(int Queries, int Eligible, int Shortlisted, IReadOnlyList<string> Missed)
{
    public const int MinInliers = 15;

    public double Recall => Eligible == 0 ? 0 : (double)Shortlisted / Eligible;

    public static SiftSearchRecall Measure(SiftSearch sift, ICatalogStore store, IReadOnlyList<EvalQuery> queries, Func<byte[], RgbImage> decode, int parallelism)
    {
        int eligible = 0, shortlisted = 0;
        var missed = new ConcurrentBag<string>();
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
            if (sift.Shortlist(features, SearchFilter.None, null).Any(h => expected.Contains(h.ImageId)))
                Interlocked.Increment(ref shortlisted);
            else
                missed.Add(Path.GetFileName(query.ImagePath));
        });
        return new SiftSearchRecall(matchable.Count, eligible, shortlisted, missed.Order(StringComparer.Ordinal).ToList());
    }
}
