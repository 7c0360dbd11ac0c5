using ArtMatch.Core.Embedding;

namespace ArtMatch.Core.Tests.Embedding;

public class SymmetricEigenTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void Decompose_RandomSymmetric_GivesOrthonormalEigenpairsInDescendingOrder(int n)
    {
        var random = new Random(n);
        var matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
                matrix[i * n + j] = matrix[j * n + i] = random.NextDouble() * 2 - 1;
        }
        var original = (double[])matrix.Clone();

        var (values, vectors) = SymmetricEigen.Decompose(matrix, n);

        for (int k = 0; k < n; k++)
        {
            if (k > 0)
                Assert.True(values[k] <= values[k - 1]);
            for (int i = 0; i < n; i++)
            {
                double product = 0;
                for (int j = 0; j < n; j++)
                    product += original[i * n + j] * vectors[k * n + j];
                Assert.Equal(values[k] * vectors[k * n + i], product, 1e-9);
            }
            for (int l = 0; l < n; l++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++)
                    dot += vectors[k * n + i] * vectors[l * n + i];
                Assert.Equal(k == l ? 1 : 0, dot, 1e-9);
            }
        }
    }

    [Fact]
    public void Decompose_RepeatedEigenvaluesAndZeros_StillConverges()
    {
        // Q diag(3, 3, 0, 0, 1) Q' with Q a reflection I - 2uu' (u a unit vector): full, not already diagonal.
        int n = 5;
        double[] spectrum = [3, 3, 0, 0, 1];
        double[] u = [0.5, -0.5, 0.5, 0.3, Math.Sqrt(1 - 0.75 - 0.09)];
        var matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < n; k++)
                {
                    double qik = (i == k ? 1 : 0) - 2 * u[i] * u[k], qjk = (j == k ? 1 : 0) - 2 * u[j] * u[k];
                    matrix[i * n + j] += qik * spectrum[k] * qjk;
                }
            }
        }

        var (values, _) = SymmetricEigen.Decompose(matrix, n);

        Assert.Equal([3, 3, 1, 0, 0], values.Select(v => Math.Round(v, 12)));
    }
}
