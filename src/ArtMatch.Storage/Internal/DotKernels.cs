using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// Dot products of one query with four consecutive matrix rows in one pass: the query is loaded once
/// per step for four rows, and the four accumulators are independent chains for the FMA units.
/// Tiers: Vector512, Vector256, else <see cref="TensorPrimitives.Dot"/> per row (the reference the tests compare with).
/// </summary>
internal static class DotKernels
{
    /// <param name="query">The query; its length is the row stride.</param>
    /// <param name="rows">The first element of four consecutive rows.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4(ReadOnlySpan<float> query, ref float rows, out float s0, out float s1, out float s2, out float s3)
    {
        int dim = query.Length;
        ref float q = ref MemoryMarshal.GetReference(query);
        ref float r0 = ref rows;
        ref float r1 = ref Unsafe.Add(ref rows, dim);
        ref float r2 = ref Unsafe.Add(ref rows, 2 * dim);
        ref float r3 = ref Unsafe.Add(ref rows, 3 * dim);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && dim >= Vector512<float>.Count)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= dim - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var qv = Vector512.LoadUnsafe(ref q, (nuint)i);
                a0 = Vector512.FusedMultiplyAdd(qv, Vector512.LoadUnsafe(ref r0, (nuint)i), a0);
                a1 = Vector512.FusedMultiplyAdd(qv, Vector512.LoadUnsafe(ref r1, (nuint)i), a1);
                a2 = Vector512.FusedMultiplyAdd(qv, Vector512.LoadUnsafe(ref r2, (nuint)i), a2);
                a3 = Vector512.FusedMultiplyAdd(qv, Vector512.LoadUnsafe(ref r3, (nuint)i), a3);
            }
            s0 = Vector512.Sum(a0);
            s1 = Vector512.Sum(a1);
            s2 = Vector512.Sum(a2);
            s3 = Vector512.Sum(a3);
        }
        else if (Vector256.IsHardwareAccelerated && dim >= Vector256<float>.Count)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= dim - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var qv = Vector256.LoadUnsafe(ref q, (nuint)i);
                a0 = Vector256.FusedMultiplyAdd(qv, Vector256.LoadUnsafe(ref r0, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(qv, Vector256.LoadUnsafe(ref r1, (nuint)i), a1);
                a2 = Vector256.FusedMultiplyAdd(qv, Vector256.LoadUnsafe(ref r2, (nuint)i), a2);
                a3 = Vector256.FusedMultiplyAdd(qv, Vector256.LoadUnsafe(ref r3, (nuint)i), a3);
            }
            s0 = Vector256.Sum(a0);
            s1 = Vector256.Sum(a1);
            s2 = Vector256.Sum(a2);
            s3 = Vector256.Sum(a3);
        }
        else
        {
            s0 = TensorPrimitives.Dot(query, MemoryMarshal.CreateReadOnlySpan(ref r0, dim));
            s1 = TensorPrimitives.Dot(query, MemoryMarshal.CreateReadOnlySpan(ref r1, dim));
            s2 = TensorPrimitives.Dot(query, MemoryMarshal.CreateReadOnlySpan(ref r2, dim));
            s3 = TensorPrimitives.Dot(query, MemoryMarshal.CreateReadOnlySpan(ref r3, dim));
            return;
        }
        // The tail that does not fill a vector.
        for (; i < dim; i++)
        {
            float qi = Unsafe.Add(ref q, i);
            s0 += qi * Unsafe.Add(ref r0, i);
            s1 += qi * Unsafe.Add(ref r1, i);
            s2 += qi * Unsafe.Add(ref r2, i);
            s3 += qi * Unsafe.Add(ref r3, i);
        }
    }

    /// <summary>
    /// One row, with exactly the arithmetic of <see cref="Dot4"/> (same vector width, accumulation and tail),
    /// so a row scores the same whether the scan takes it alone or in a block of four.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot1(ReadOnlySpan<float> query, ref float row)
    {
        int dim = query.Length;
        ref float q = ref MemoryMarshal.GetReference(query);
        int i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && dim >= Vector512<float>.Count)
        {
            Vector512<float> a = default;
            for (; i <= dim - Vector512<float>.Count; i += Vector512<float>.Count)
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q, (nuint)i), Vector512.LoadUnsafe(ref row, (nuint)i), a);
            sum = Vector512.Sum(a);
        }
        else if (Vector256.IsHardwareAccelerated && dim >= Vector256<float>.Count)
        {
            Vector256<float> a = default;
            for (; i <= dim - Vector256<float>.Count; i += Vector256<float>.Count)
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.LoadUnsafe(ref row, (nuint)i), a);
            sum = Vector256.Sum(a);
        }
        else
        {
            return TensorPrimitives.Dot(query, MemoryMarshal.CreateReadOnlySpan(ref row, dim));
        }
        for (; i < dim; i++)
            sum += Unsafe.Add(ref q, i) * Unsafe.Add(ref row, i);
        return sum;
    }
}
