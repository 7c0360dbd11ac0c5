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
/// normalise(alpha a_i + (1 - alpha) b_i + noise), alpha in [0.55, 0.85], Gaussian noise of norm 0.35
/// per row. So each synthetic picture resembles a real one strongly and another weakly, many
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

    /// <summary>The rows of <paramref name="picture"/> (made again identically on every call).</summary>
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
            for (int d = 0; d < Dimension; d++)
                row[d] = alpha * rowsA[i][d] + (1 - alpha) * other[d];
            AddNoise(row, random, NoiseNorm);
            rows[i] = row;
        }
        return rows;
    }

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
