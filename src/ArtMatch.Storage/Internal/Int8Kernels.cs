using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ArtMatch.Storage.Internal;

/// <summary>
/// Integer dot products of an int16 query with int8 rows (<see cref="CompactRows"/>): each step widens 32
/// row bytes to int16 and multiplies them pairwise with the query (vpmaddwd), summing into int32 lanes.
/// A query of at most 32767 against rows of at most 127 over 512 dimensions stays far from int32 overflow
/// (each lane sums at most 2 x 32767 x 127 per step, 16 steps for 512 dimensions).
/// </summary>
internal static class Int8Kernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<short> query, ref sbyte row)
    {
        int dim = query.Length;
        ref short q = ref MemoryMarshal.GetReference(query);
        int i = 0, sum = 0;
        if (Avx512BW.IsSupported && dim >= 64)
        {
            var acc = Vector512<int>.Zero;
            for (; i <= dim - 64; i += 64)
            {
                var codes = Vector512.LoadUnsafe(ref row, (nuint)i);
                acc = Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref q, (nuint)i), Vector512.WidenLower(codes)));
                acc = Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref q, (nuint)(i + 32)), Vector512.WidenUpper(codes)));
            }
            sum = Vector512.Sum(acc);
        }
        else if (Avx2.IsSupported && dim >= 32)
        {
            var acc = Vector256<int>.Zero;
            for (; i <= dim - 32; i += 32)
            {
                var codes = Vector256.LoadUnsafe(ref row, (nuint)i);
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.WidenLower(codes)));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref q, (nuint)(i + 16)), Vector256.WidenUpper(codes)));
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < dim; i++)
            sum += Unsafe.Add(ref q, i) * Unsafe.Add(ref row, i);
        return sum;
    }

    /// <summary>The same product by plain scalar arithmetic (the tests' reference).</summary>
    public static int DotScalar(ReadOnlySpan<short> query, ReadOnlySpan<sbyte> row)
    {
        int sum = 0;
        for (int i = 0; i < query.Length; i++)
            sum += query[i] * row[i];
        return sum;
    }
}
