using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ArtMatch.Core.Embedding;
using ArtMatch.Core.Import;
using Microsoft.Data.Sqlite;

namespace ArtMatch.Benchmarks;

/// <summary>
/// The pictures of the scale benchmark, with the product's row layout (each picture: its whole-picture
/// row, then its region rows, each of the model's dimension, unit length). Pictures 0..R-1 are the dev
/// catalogue's real pictures (their vectors as the product embedded them, read from a fixture store);
/// every later picture p is made from two real pictures a and b drawn by p's own seed: row i =
/// normalise(alpha a_i + (1 - alpha) b_i + noise), alpha in [0.55, 0.85], Gaussian noise of norm about 0.35
/// per row (the sum of two of a fixed pool of 4,096 Gaussian vectors, over sqrt 2, drawn by the row: so
/// that the rows can be made in the index's ranking space directly, <see cref="RankedRows"/>). So each synthetic picture resembles a real one strongly and another weakly, many
/// synthetic pictures share a parent, and none is a copy: near neighbours are crowded, not trivially
/// separable. Any picture can be made again from its number alone (the ground truth needs that).
/// </summary>
internal sealed class ScaleCatalogue
{
    private const float NoiseNorm = 0.35f;

    private readonly List<float[][]> _real;

    private ScaleCatalogue(List<float[][]> real, int dimension)
    {
        _real = real;
        Dimension = dimension;
        var random = new Random(20261203);
        float sigma = NoiseNorm / MathF.Sqrt(dimension);
        _noise = Enumerable.Range(0, NoisePool).Select(_ =>
        {
            var n = new float[dimension];
            for (int d = 0; d < dimension; d++)
                n[d] = sigma * Gaussian(random);
            return n;
        }).ToArray();
    }

    public int Dimension { get; }

    public int RealPictures => _real.Count;

    /// <summary>The dev catalogue's vectors, from benchmarks/.fixtures/dev-store (imported through the product the first time).</summary>
    public static ScaleCatalogue Load(TextWriter log)
    {
        string storeDir = Path.Combine(Fixtures.Root, "benchmarks", ".fixtures", "dev-store");
        string db = Path.Combine(storeDir, "catalog.db");
        if (!File.Exists(db))
        {
            log.WriteLine($"scale: importing the dev catalogue into {storeDir} (once)");
            using var engine = Fixtures.Engine().OpenStore(storeDir);
            engine.RequireImporter().Import(CatalogFile.Read(Path.Combine(Fixtures.DevSet, "catalog.csv")));
        }
        var pictures = new List<float[][]>();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT object_id, image_id, region, data FROM vectors ORDER BY object_id, image_id, region";
        using var reader = command.ExecuteReader();
        string? current = null;
        var rows = new List<float[]>();
        int dimension = 0;
        while (reader.Read())
        {
            string key = reader.GetString(0) + "\n" + reader.GetString(1);
            if (key != current && rows.Count > 0)
            {
                pictures.Add([.. rows]);
                rows.Clear();
            }
            current = key;
            var vector = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(3)).ToArray();
            dimension = vector.Length;
            rows.Add(vector);
        }
        if (rows.Count > 0)
            pictures.Add([.. rows]);
        if (pictures.Count == 0)
            throw new InvalidOperationException($"The fixture store {storeDir} holds no vectors: delete it and run again.");
        return new ScaleCatalogue(pictures, dimension);
    }

    /// <summary>How a picture was made: real (B = -1) or from parents A and B.</summary>
    public (int A, int B, float Alpha) Recipe(int picture)
    {
        if (picture < _real.Count)
            return (picture, -1, 1);
        var random = new Random(unchecked(picture * 7919 + 17));
        int a = random.Next(_real.Count);
        int b = (a + 1 + random.Next(_real.Count - 1)) % _real.Count;
        return (a, b, 0.55f + 0.3f * (float)random.NextDouble());
    }

    /// <summary>The rows of <paramref name="picture"/> (made again identically on every call), in the model's space.</summary>
    public float[][] Rows(int picture)
    {
        var (a, b, alpha) = Recipe(picture);
        if (b < 0)
            return _real[a];
        var random = new Random(unchecked(picture * 104729 + 3));
        var rowsA = _real[a];
        var rowsB = _real[b];
        var rows = new float[rowsA.Length][];
        for (int i = 0; i < rowsA.Length; i++)
        {
            var row = new float[Dimension];
            var other = rowsB[i % rowsB.Length];
            var (n1, n2) = NoisePair(random);
            for (int d = 0; d < Dimension; d++)
                row[d] = alpha * rowsA[i][d] + (1 - alpha) * other[d] + (_noise[n1][d] + _noise[n2][d]) * InvSqrt2;
            Pooling.L2Normalize(row);
            rows[i] = row;
        }
        return rows;
    }

    private const float InvSqrt2 = 0.70710678f;

    /// <summary>Noise vectors of the pool (Gaussian, norm about <see cref="NoiseNorm"/>); a row's noise is the sum of two of them over sqrt 2.</summary>
    private const int NoisePool = 4096;

    private readonly float[][] _noise;

    private (int, int) NoisePair(Random random)
    {
        int n1 = random.Next(NoisePool);
        return (n1, (n1 + 1 + random.Next(NoisePool - 1)) % NoisePool);
    }

    private Ranked? _ranked;

    /// <summary>
    /// The rows of synthetic <paramref name="picture"/> as the compact index ranks them (exactly
    /// normalise(P(x - mean)) of <see cref="Rows"/>' x), made without projecting 1280 dimensions a row: the
    /// projection is linear, so P of the real rows and of the noise pool is computed once and each row is their
    /// mix, divided by the norm of x (five dot products in the model's space) before the mean is taken off.
    /// </summary>
    public float[][] RankedRows(int picture)
    {
        var ranked = _ranked ?? throw new InvalidOperationException("SetProjection first.");
        var (a, b, alpha) = Recipe(picture);
        if (b < 0)
            throw new ArgumentException("Real pictures are projected by the index.", nameof(picture));
        var random = new Random(unchecked(picture * 104729 + 3));
        var rowsA = _real[a];
        var rowsB = _real[b];
        int m = ranked.Dimensions;
        var rows = new float[rowsA.Length][];
        for (int i = 0; i < rowsA.Length; i++)
        {
            int j = i % rowsB.Length;
            var (n1, n2) = NoisePair(random);
            var ra = rowsA[i];
            var rb = rowsB[j];
            float beta = 1 - alpha;
            // |alpha a + beta b + (n1 + n2)/sqrt2|^2 from dot products in the model's space.
            float an = (TensorPrimitives.Dot<float>(ra, _noise[n1]) + TensorPrimitives.Dot<float>(ra, _noise[n2])) * InvSqrt2;
            float bn = (TensorPrimitives.Dot<float>(rb, _noise[n1]) + TensorPrimitives.Dot<float>(rb, _noise[n2])) * InvSqrt2;
            float nn = (ranked.NoiseSquared[n1] + ranked.NoiseSquared[n2] + 2 * TensorPrimitives.Dot<float>(_noise[n1], _noise[n2])) / 2;
            float norm2 = alpha * alpha * ranked.RealSquared[a][i] + beta * beta * ranked.RealSquared[b][j]
                + 2 * alpha * beta * TensorPrimitives.Dot<float>(ra, rb) + 2 * (alpha * an + beta * bn) + nn;
            float inverse = 1 / MathF.Sqrt(norm2);
            var y = new float[m];
            var pa = ranked.Real[a][i];
            var pb = ranked.Real[b][j];
            var p1 = ranked.Noise[n1];
            var p2 = ranked.Noise[n2];
            float ca = alpha * inverse, cb = beta * inverse, cn = InvSqrt2 * inverse;
            for (int d = 0; d < m; d++)
                y[d] = ca * pa[d] + cb * pb[d] + cn * (p1[d] + p2[d]) - ranked.Mean[d];
            float length = TensorPrimitives.Norm<float>(y);
            if (length > 0)
                TensorPrimitives.Divide(y, length, y);
            rows[i] = y;
        }
        return rows;
    }

    private sealed record Ranked(int Dimensions, float[][][] Real, float[][] RealSquared, float[][] Noise, float[] NoiseSquared, float[] Mean);

    /// <summary>Takes the compact projection (mean, input x output matrix) for <see cref="RankedRows"/>: P of every real row and noise vector, once.</summary>
    public void SetProjection(float[] mean, float[] projection, int dimensions)
    {
        float[] Apply(float[] x)
        {
            var y = new float[dimensions];
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] != 0)
                    TensorPrimitives.MultiplyAdd(projection.AsSpan(i * dimensions, dimensions), x[i], y, y);
            }
            return y;
        }
        var real = new float[_real.Count][][];
        Parallel.For(0, _real.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, p => real[p] = _real[p].Select(Apply).ToArray());
        var noise = new float[NoisePool][];
        Parallel.For(0, NoisePool, new ParallelOptions { MaxDegreeOfParallelism = 2 }, n => noise[n] = Apply(_noise[n]));
        _ranked = new Ranked(dimensions, real,
            _real.Select(p => p.Select(r => TensorPrimitives.Dot<float>(r, r)).ToArray()).ToArray(),
            noise, _noise.Select(n => TensorPrimitives.Dot<float>(n, n)).ToArray(), Apply(mean));
    }

    /// <summary>Rows of picture <paramref name="picture"/> without making them: its first parent's.</summary>
    public int RowCount(int picture) => _real[Recipe(picture).A].Length;

    /// <summary>A query: one row of a picture (its whole row half the time, else a region) with noise of norm <paramref name="noise"/>.</summary>
    public float[] Query(int seed, int pictures, float noise, out int picture)
    {
        var random = new Random(unchecked(seed * 31 + 5));
        picture = random.Next(pictures);
        var rows = Rows(picture);
        int row = random.Next(2) == 0 ? 0 : random.Next(rows.Length);
        var query = (float[])rows[row].Clone();
        AddNoise(query, random, noise);
        return query;
    }

    private static void AddNoise(float[] row, Random random, float norm)
    {
        float sigma = norm / MathF.Sqrt(row.Length);
        for (int d = 0; d < row.Length; d++)
            row[d] += sigma * Gaussian(random);
        Pooling.L2Normalize(row);
    }

    private static float Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
