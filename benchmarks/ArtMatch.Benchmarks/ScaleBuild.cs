using System.Numerics.Tensors;
using System.Text.Json;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage;

namespace ArtMatch.Benchmarks;

/// <summary>
/// How the scale benchmark fills its index: the real pictures one by one (through the product's projection),
/// the whitening learned from them, then the synthetic pictures in picture order (so each row's key, its
/// position in the order of arrival, is known from the picture numbers alone and a later run can open the
/// store again), made a batch at a time on two threads while the previous batch is added.
/// </summary>
internal static class ScaleBuild
{
    private const int Batch = 256;

    /// <param name="Bulk">Through <see cref="EmbeddedVectorIndex.BeginBulkLoad"/>: the inverted file learned once, at the end.</param>
    /// <param name="ProjectRows">Rows made in the model's space and projected by the index (else made in the ranking space directly).</param>
    internal sealed record Options(bool Bulk, bool ProjectRows)
    {
        public string Describe() => (Bulk ? "bulk load (inverted file learned once at the end)" : "incremental (inverted file learned again as rows double)")
            + (ProjectRows ? ", rows projected by the index" : ", rows made in the ranking space");
    }

    /// <summary>Adds the pictures, offering each picture's ranked rows to the exact reference; returns the rows added.</summary>
    public static long Build(EmbeddedVectorIndex index, ScaleCatalogue catalogue, int pictures, ExactReference reference, ScaleExport? export,
        List<(long FirstKey, int Picture, int Rows)> arrivals, Options options, TextWriter log)
    {
        using var bulk = options.Bulk ? index.BeginBulkLoad() : null;
        long rows = 0;
        int real = Math.Min(pictures, catalogue.RealPictures);
        for (int p = 0; p < real; p++)
        {
            int added = Add(index, catalogue, p, rows + 1);
            arrivals.Add((rows + 1, p, added));
            rows += added;
        }
        index.Train(0);
        reference.Rank(index);
        for (int p = 0; p < real; p++)
        {
            var ranked = index.RankRows(catalogue.Rows(p));
            reference.Offer(0, p, ranked);
            export?.Add(p, ranked);
        }
        if (!index.IsCompact)
            return AddFloat(index, catalogue, real, pictures, reference, export, rows, log);
        if (!options.ProjectRows && pictures > real)
        {
            var (mean, projection, dims) = index.ProjectionParts!.Value;
            catalogue.SetProjection(mean, projection, dims);
            SelfCheck(index, catalogue, real, pictures, log);
        }
        float[][][] Make(int from)
        {
            int count = Math.Min(Batch, pictures - from);
            var made = new float[count][][];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                int p = from + i;
                made[i] = options.ProjectRows ? index.RankRows(catalogue.Rows(p)) : catalogue.RankedRows(p);
                reference.Offer(p % 2, p, made[i]);
                export?.Add(p, made[i]);
            });
            return made;
        }
        int step = Math.Max(1, pictures / 20);
        var next = real < pictures ? Task.Run(() => Make(real)) : null;
        for (int from = real; from < pictures; from += Batch)
        {
            var batch = next!.Result;
            int following = from + Batch;
            next = following < pictures ? Task.Run(() => Make(following)) : null;
            for (int i = 0; i < batch.Length; i++)
            {
                int p = from + i;
                index.UpsertProjected(Record(p), "i" + p, batch[i], Enumerable.Range(0, batch[i].Length).Select(r => rows + 1 + r).ToArray());
                arrivals.Add((rows + 1, p, batch[i].Length));
                rows += batch[i].Length;
                if ((p + 1) % step == 0)
                    log.WriteLine($"scale: {p + 1} of {pictures} pictures, {rows} rows ({DateTime.UtcNow:HH:mm:ss} UTC)");
            }
        }
        log.WriteLine($"scale: all rows added ({DateTime.UtcNow:HH:mm:ss} UTC); the inverted file is learned next");
        return rows;
    }

    /// <summary>The rows made in the ranking space must be the index's projection of the same rows made in the model's space.</summary>
    private static void SelfCheck(EmbeddedVectorIndex index, ScaleCatalogue catalogue, int real, int pictures, TextWriter log)
    {
        float worst = 0;
        for (int p = real; p < Math.Min(pictures, real + 20); p++)
        {
            var fast = catalogue.RankedRows(p);
            var projected = index.RankRows(catalogue.Rows(p));
            for (int r = 0; r < fast.Length; r++)
            {
                var difference = new float[fast[r].Length];
                TensorPrimitives.Subtract(fast[r], projected[r], difference);
                worst = MathF.Max(worst, TensorPrimitives.MaxMagnitude<float>(difference));
            }
        }
        log.WriteLine($"scale: rows made in the ranking space differ from the index's projection by at most {worst:G3}");
        if (worst > 1e-3f)
            throw new InvalidOperationException($"Rows made in the ranking space are not the index's projection (difference {worst}).");
    }

    private static long AddFloat(EmbeddedVectorIndex index, ScaleCatalogue catalogue, int real, int pictures, ExactReference reference, ScaleExport? export, long rows, TextWriter log)
    {
        for (int p = real; p < pictures; p++)
        {
            rows += Add(index, catalogue, p, rows + 1);
            var ranked = index.RankRows(catalogue.Rows(p));
            reference.Offer(p % 2, p, ranked);
            export?.Add(p, ranked);
        }
        log.WriteLine($"scale: {pictures} pictures added (float rows)");
        return rows;
    }

    private static IndexedObject Record(int picture) => new(Scale.ObjectId(picture), null, null, ObjectStatus.Stolen, null);

    private static int Add(EmbeddedVectorIndex index, ScaleCatalogue catalogue, int picture, long firstKey)
    {
        var rows = catalogue.Rows(picture);
        index.Upsert(Record(picture), [new IndexedImage("i" + picture, rows)], [Enumerable.Range(0, rows.Length).Select(r => firstKey + r).ToArray()]);
        return rows.Length;
    }

    /// <summary>The whitening a build learns (from the real pictures, in order): learned again the same way for --reopen.</summary>
    public static Core.Embedding.Whitening Whitening(ScaleCatalogue catalogue, EmbeddedIndexSettings settings)
    {
        using var index = new EmbeddedVectorIndex(catalogue.Dimension, settings);
        for (int p = 0; p < catalogue.RealPictures; p++)
            Add(index, catalogue, p, 0);
        index.Train(0);
        return index.Whitening!;
    }

    /// <summary>Each picture's first key and rows as a build adds them (picture order); returns the rows.</summary>
    public static long Arrivals(ScaleCatalogue catalogue, int pictures, List<(long FirstKey, int Picture, int Rows)> arrivals)
    {
        long rows = 0;
        for (int p = 0; p < pictures; p++)
        {
            int count = catalogue.RowCount(p);
            arrivals.Add((rows + 1, p, count));
            rows += count;
        }
        return rows;
    }

    public static void WriteTruth(string path, int pictures, List<HashSet<string>> truth) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new { pictures, truth = truth.Select(t => t.ToArray()).ToArray() }));

    public static List<HashSet<string>> ReadTruth(string path, int pictures, int queries)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (document.RootElement.GetProperty("pictures").GetInt32() != pictures)
            throw new InvalidOperationException($"{path} was written for another number of pictures.");
        var truth = document.RootElement.GetProperty("truth").EnumerateArray().Select(t => t.EnumerateArray().Select(e => e.GetString()!).ToHashSet()).ToList();
        if (truth.Count < queries)
            throw new InvalidOperationException($"{path} holds the exact answers of {truth.Count} queries, fewer than asked.");
        return truth;
    }
}
