using System.Diagnostics;
using ArtMatch.Core.Catalog;

namespace ArtMatch.Storage;

/// <summary>What <see cref="VectorExport.Copy"/> did.</summary>
public sealed record ExportSummary(int Objects, int ImagesCopied, int ImagesPresent, int ImagesReembedded, int ImagesWithoutVectors, long Rows, double Seconds);

/// <summary>
/// Copies a store's vectors into another index (<c>artmatch index export</c>): object by object, images
/// the target already holds skipped (so an interrupted copy resumes where it stopped, and a repeated one
/// copies nothing), each object's new images written in one <see cref="IVectorIndex.Upsert"/>. Vectors
/// come from SQLite; an image whose vectors SQLite does not keep is embedded again from its stored
/// picture when <c>embed</c> is given, and counted as without vectors otherwise.
/// </summary>
public static class VectorExport
{
    public static ExportSummary Copy(SqliteCatalogStore source, IVectorIndex target, Func<byte[], IReadOnlyList<float[]>>? embed = null, IProgress<int>? imagesDone = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Dimension != source.Dimension)
            throw new ArgumentException($"The target index holds {target.Dimension}-d vectors; the store's model {source.ModelId} makes {source.Dimension}-d.");
        var clock = Stopwatch.StartNew();
        int objects = 0, copied = 0, present = 0, reembedded = 0, without = 0, done = 0;
        long rows = 0;
        foreach (var objectId in source.ObjectIds())
        {
            if (source.Get(objectId) is not { } record)
                continue;   // deleted meanwhile
            objects++;
            var stored = source.StoredVectorsOf(objectId);
            var pending = new List<IndexedImage>();
            foreach (var image in source.GetImages(objectId))
            {
                done++;
                if (target.Contains(objectId, image.ImageId))
                {
                    present++;
                    continue;
                }
                if (!stored.TryGetValue(image.ImageId, out var vectors))
                {
                    if (embed is null || source.GetImageBytes(image.ImageId) is not { } bytes)
                    {
                        without++;
                        continue;
                    }
                    vectors = embed(bytes);
                    reembedded++;
                }
                pending.Add(new IndexedImage(image.ImageId, vectors));
            }
            if (pending.Count > 0)
            {
                target.Upsert(IndexedObject.Of(record), pending);
                copied += pending.Count;
                rows += pending.Sum(i => i.Vectors.Count);
            }
            imagesDone?.Report(done);
        }
        target.Flush();
        return new ExportSummary(objects, copied, present, reembedded, without, rows, Math.Round(clock.Elapsed.TotalSeconds, 2));
    }
}
