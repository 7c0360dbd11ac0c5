using System.Numerics.Tensors;

namespace ArtMatch.Core.Embedding;

/// <summary>
/// PCA whitening learned from a catalogue's own vectors: y = normalise((x - mean) P), with P the
/// covariance's eigenvectors scaled by eigenvalue^(-1/4) (half whitening). Directions every picture
/// shares (texture statistics, the model's bias) weigh less, rare ones more, so objects are told
/// apart better. Measured on the development set: first-stage recall@5 0.891 -> 0.907 (full
/// whitening, ^-1/2, did worse end to end). Immutable and thread-safe.
/// </summary>
public sealed class Whitening
{
    /// <summary>Fewer vectors than this many per dimension give a covariance too noisy to whiten with.</summary>
    public const int MinVectorsPerDimension = 2;

    /// <summary>
    /// Added to every eigenvalue, as a share of their mean: the smallest directions are mostly noise,
    /// and dividing by nearly zero would blow them up.
    /// </summary>
    private const double Shrinkage = 0.005;

    private const double EigenvaluePower = -0.25;

    /// <summary>
    /// The statistics come from at most this many vectors, evenly spaced over the catalogue: 50 per
    /// dimension estimate a covariance well, and the cost of learning (which grows with the vectors
    /// used) stops growing with the catalogue. The dev catalogue's 15.5k vectors took 5.7 s.
    /// </summary>
    public const int MaxSample = 65_536;

    private readonly float[] _mean;
    private readonly float[] _projection;

    private Whitening(int dimension, float[] mean, float[] projection, int learnedFrom)
    {
        Dimension = dimension;
        _mean = mean;
        _projection = projection;
        LearnedFrom = learnedFrom;
    }

    public int Dimension { get; }

    /// <summary>How many vectors the statistics came from (to judge when to learn again).</summary>
    public int LearnedFrom { get; }

    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>Row-major Dimension x Dimension: y_j = sum_i (x_i - mean_i) P[i, j].</summary>
    public ReadOnlySpan<float> Projection => _projection;

    public static int MinVectors(int dimension) => MinVectorsPerDimension * dimension;

    /// <summary>Learns the transform from <paramref name="catalogue"/> (each of <paramref name="dimension"/> values; at most <see cref="MaxSample"/> of them used).</summary>
    public static Whitening Learn(IReadOnlyList<ReadOnlyMemory<float>> catalogue, int dimension)
    {
        if (catalogue.Count < MinVectors(dimension))
            throw new ArgumentException($"Whitening needs at least {MinVectors(dimension)} vectors of {dimension} dimensions; got {catalogue.Count}.", nameof(catalogue));
        int stride = (catalogue.Count + MaxSample - 1) / MaxSample;
        var vectors = stride == 1 ? catalogue : Enumerable.Range(0, (catalogue.Count + stride - 1) / stride).Select(i => catalogue[i * stride]).ToList();
        var mean = new double[dimension];
        foreach (var vector in vectors)
        {
            if (vector.Length != dimension)
                throw new ArgumentException($"A vector has {vector.Length} values, expected {dimension}.", nameof(catalogue));
            var values = vector.Span;
            for (int i = 0; i < dimension; i++)
                mean[i] += values[i];
        }
        TensorPrimitives.Divide<double>(mean, vectors.Count, mean);

        var covariance = Covariance(vectors, mean, dimension);
        var (eigenvalues, eigenvectors) = SymmetricEigen.Decompose(covariance, dimension);
        double floor = Shrinkage * Math.Max(eigenvalues.Average(), double.Epsilon);
        var projection = new float[dimension * dimension];
        for (int j = 0; j < dimension; j++)
        {
            double scale = Math.Pow(Math.Max(eigenvalues[j], 0) + floor, EigenvaluePower);
            for (int i = 0; i < dimension; i++)
                projection[i * dimension + j] = (float)(eigenvectors[j * dimension + i] * scale);
        }
        return new Whitening(dimension, mean.Select(m => (float)m).ToArray(), projection, catalogue.Count);
    }

    /// <summary>Rebuilds a transform stored by <see cref="Mean"/> and <see cref="Projection"/>.</summary>
    public static Whitening FromStored(int dimension, float[] mean, float[] projection, int learnedFrom)
    {
        if (mean.Length != dimension || projection.Length != dimension * dimension)
            throw new InvalidDataException($"A stored whitening of {dimension} dimensions has {mean.Length} mean and {projection.Length} projection values.");
        return new Whitening(dimension, mean, projection, learnedFrom);
    }

    /// <summary>Whitens <paramref name="vectors"/> into <paramref name="destination"/> (one row each, unit length).</summary>
    public void Apply(IReadOnlyList<ReadOnlyMemory<float>> vectors, Memory<float> destination)
    {
        int n = Dimension;
        if (destination.Length < vectors.Count * n)
            throw new ArgumentException($"Destination holds {destination.Length} values; {vectors.Count * n} needed.", nameof(destination));
        foreach (var vector in vectors)
        {
            if (vector.Length != n)
                throw new ArgumentException($"A vector has {vector.Length} values; the whitening expects {n}.", nameof(vectors));
        }
        int blocks = (vectors.Count + ApplyBlock - 1) / ApplyBlock;
        if (blocks == 1)
        {
            ApplyBlockOf(vectors, 0, vectors.Count, destination.Span);
            return;
        }
        Parallel.For(0, blocks, block =>
        {
            int start = block * ApplyBlock;
            ApplyBlockOf(vectors, start, Math.Min(vectors.Count, start + ApplyBlock), destination.Span[(start * n)..]);
        });
    }

    /// <summary>Vectors whitened together: the projection (several MB) is read once per block while their outputs stay in cache.</summary>
    private const int ApplyBlock = 48;

    private void ApplyBlockOf(IReadOnlyList<ReadOnlyMemory<float>> vectors, int start, int end, Span<float> destination)
    {
        int n = Dimension, count = end - start;
        var centred = new float[count * n];
        for (int v = 0; v < count; v++)
            TensorPrimitives.Subtract(vectors[start + v].Span, _mean, centred.AsSpan(v * n, n));
        var output = destination[..(count * n)];
        output.Clear();
        for (int i = 0; i < n; i++)
        {
            var row = new ReadOnlySpan<float>(_projection, i * n, n);
            for (int v = 0; v < count; v++)
            {
                var y = output.Slice(v * n, n);
                TensorPrimitives.MultiplyAdd(row, centred[v * n + i], y, y);
            }
        }
        for (int v = 0; v < count; v++)
        {
            var y = output.Slice(v * n, n);
            float norm = TensorPrimitives.Norm<float>(y);
            if (norm > 0)
                TensorPrimitives.Divide(y, norm, y);
        }
    }

    public float[] Apply(ReadOnlySpan<float> vector)
    {
        var result = new float[Dimension];
        Apply([vector.ToArray()], result);
        return result;
    }

    /// <summary>Covariance of the centred vectors, row-major, in blocks so that each block is read once per output row.</summary>
    private static double[] Covariance(IReadOnlyList<ReadOnlyMemory<float>> vectors, double[] mean, int n)
    {
        const int Block = 128;
        var covariance = new double[n * n];
        var centred = new double[Block * n];
        for (int start = 0; start < vectors.Count; start += Block)
        {
            int count = Math.Min(Block, vectors.Count - start);
            for (int r = 0; r < count; r++)
            {
                var values = vectors[start + r].Span;
                for (int i = 0; i < n; i++)
                    centred[r * n + i] = values[i] - mean[i];
            }
            // Upper triangle only (j >= i); rows split across cores.
            Parallel.For(0, n, i =>
            {
                var target = covariance.AsSpan(i * n + i, n - i);
                for (int r = 0; r < count; r++)
                    TensorPrimitives.MultiplyAdd<double>(centred.AsSpan(r * n + i, n - i), centred[r * n + i], target, target);
            });
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double value = covariance[i * n + j] / vectors.Count;
                covariance[i * n + j] = value;
                covariance[j * n + i] = value;
            }
        }
        return covariance;
    }
}
