using ArtMatch.Core.Configuration;
using ArtMatch.Core.Imaging;
using ArtMatch.Imaging;
using ArtMatch.Imaging.Internal;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Benchmarks;

/// <summary>Benchmark inputs made from dev-set photos: a 12 MP and a 1 MP JPEG and an AVIF, cached under benchmarks/.fixtures.</summary>
public static class Fixtures
{
    public static string Root => RepoLocator.Root();

    public static string DevSet => Path.GetFullPath(Path.Combine(Root, "..", "shared", "eval", "dev"));

    private static string Folder => Directory.CreateDirectory(Path.Combine(Root, "benchmarks", ".fixtures")).FullName;

    public static string SourcePhoto => Path.Combine(DevSet, "catalog", "gc-painting-bruegel-harvesters", "1.jpg");

    public static byte[] Jpeg12Mp => Cached("photo-12mp.jpg", () => Scaled(4000, 3000));

    public static byte[] Jpeg1Mp => Cached("photo-1mp.jpg", () => Scaled(1155, 866));

    public static byte[] Avif => Cached("photo-1mp.avif", () => VipsEncoder.Reencode(Jpeg1Mp, VipsEncoder.Format.Avif));

    private static byte[] Scaled(int width, int height)
    {
        var decoder = new VipsImageDecoder();
        var source = decoder.Decode(File.ReadAllBytes(SourcePhoto), DecodeOptions.LongSide(100_000, allowUpscale: false));
        return VipsEncoder.EncodeJpeg(ImageOps.Resize(source, width, height), 90);
    }

    private static byte[] Cached(string name, Func<byte[]> make)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path))
            File.WriteAllBytes(path, make());
        return File.ReadAllBytes(path);
    }

    public static ArtMatchEngine Engine() => ArtMatchEngine.Create(new ArtMatchConfig());

    public static float[] RandomUnitVectors(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        var data = new float[(long)count * dimension];
        for (int row = 0; row < count; row++)
        {
            var span = data.AsSpan(row * dimension, dimension);
            for (int i = 0; i < dimension; i++)
                span[i] = (float)(random.NextDouble() * 2 - 1);
            Core.Embedding.Pooling.L2Normalize(span);
        }
        return data;
    }
}
