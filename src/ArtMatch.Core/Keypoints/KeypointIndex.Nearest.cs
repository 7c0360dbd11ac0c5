using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ArtMatch.Core.Keypoints;

public sealed partial class KeypointIndex
{
    /// <summary>Every photo keypoint's nearest and second nearest distance in one catalogue picture (exhaustive), and the nearest's row.</summary>
    /// <remarks>
    /// Rows outermost, so that each catalogue descriptor is loaded once and the photo's descriptors
    /// (a few kilobytes) stay in the first-level cache. With AVX-512 eight photo keypoints are
    /// compared with a catalogue descriptor at once (<see cref="NearestWithinWide"/>); the answer is
    /// the same to the bit, ties included (the first row at the least distance).
    /// </remarks>
    internal static (int Best, int Second, int Row)[] NearestWithin(KeypointSet query, KeypointSet picture) =>
        Avx512BW.IsSupported && query.Count >= Lanes ? NearestWithinWide(query, picture) : NearestWithinScalar(query, picture);

    /// <summary>Photo keypoints compared at once in <see cref="NearestWithinWide"/> (one 64-bit lane each).</summary>
    private const int Lanes = 8;

    /// <summary>The plain loop (pointers: this is the hot loop of the keypoint search).</summary>
    internal static unsafe (int Best, int Second, int Row)[] NearestWithinScalar(KeypointSet query, KeypointSet picture)
    {
        int n = query.Count, m = picture.Count;
        var best = new int[n];
        var second = new int[n];
        var bestRow = new int[n];
        Array.Fill(best, int.MaxValue);
        Array.Fill(second, int.MaxValue);
        fixed (ulong* q = query.Descriptors, c = picture.Descriptors)
        fixed (int* b = best, s = second, at = bestRow)
        {
            for (int r = 0; r < m; r++)
            {
                ulong c0 = c[4 * r], c1 = c[4 * r + 1], c2 = c[4 * r + 2], c3 = c[4 * r + 3];
                ulong* qi = q;
                for (int i = 0; i < n; i++, qi += 4)
                {
                    int d = Hamming(c0, c1, c2, c3, qi);
                    if (d >= s[i])
                        continue;
                    if (d < b[i])
                    {
                        s[i] = b[i];
                        b[i] = d;
                        at[i] = r;
                    }
                    else
                    {
                        s[i] = d;
                    }
                }
            }
        }
        var nearest = new (int, int, int)[n];
        for (int i = 0; i < n; i++)
            nearest[i] = (best[i], second[i], best[i] == int.MaxValue ? -1 : bestRow[i]);
        return nearest;
    }

    /// <summary>
    /// The same search eight photo keypoints at a time: their descriptors' words laid out word by word
    /// (lane i of group g is keypoint 8 g + i), each catalogue descriptor broadcast, the differing
    /// bits counted per byte by nibble lookup and summed per lane, and nearest, second nearest and
    /// row kept per lane with min, max and select, which give the scalar loop's updates exactly.
    /// </summary>
    internal static unsafe (int Best, int Second, int Row)[] NearestWithinWide(KeypointSet query, KeypointSet picture)
    {
        int n = query.Count, m = picture.Count, groups = (n + Lanes - 1) / Lanes;
        // Word w of keypoint i at [(i / 8) * 4 + w] lane i % 8; the padding lanes repeat keypoint 0 and are dropped.
        var words = new Vector512<ulong>[groups * KeypointSet.DescriptorWords];
        var best = new Vector512<long>[groups];
        var second = new Vector512<long>[groups];
        var rows = new Vector512<long>[groups];
        var lanes = new ulong[Lanes];
        for (int g = 0; g < groups; g++)
        {
            for (int w = 0; w < KeypointSet.DescriptorWords; w++)
            {
                for (int lane = 0; lane < Lanes; lane++)
                {
                    int i = g * Lanes + lane;
                    lanes[lane] = query.Descriptors[(i < n ? i : 0) * KeypointSet.DescriptorWords + w];
                }
                words[g * KeypointSet.DescriptorWords + w] = Vector512.Create(lanes);
            }
            best[g] = second[g] = Vector512.Create((long)int.MaxValue);
        }
        var lowNibble = Vector512.Create((byte)0x0F);
        var bitsInNibble = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        fixed (ulong* c = picture.Descriptors)
        fixed (Vector512<ulong>* q = words)
        fixed (Vector512<long>* b = best, s = second, at = rows)
        {
            for (int r = 0; r < m; r++)
            {
                var c0 = Vector512.Create(c[4 * r]);
                var c1 = Vector512.Create(c[4 * r + 1]);
                var c2 = Vector512.Create(c[4 * r + 2]);
                var c3 = Vector512.Create(c[4 * r + 3]);
                Vector512<ulong>* qg = q;
                for (int g = 0; g < groups; g++, qg += KeypointSet.DescriptorWords)
                {
                    // Bits per byte (at most 8 a word, 32 over the four words), then summed per 64-bit lane.
                    var bytes = BitsPerByte(qg[0] ^ c0) + BitsPerByte(qg[1] ^ c1) + BitsPerByte(qg[2] ^ c2) + BitsPerByte(qg[3] ^ c3);
                    var d = Avx512BW.SumAbsoluteDifferences(bytes, Vector512<byte>.Zero).AsInt64();
                    if (!Vector512.LessThanAny(d, s[g]))
                        continue;
                    var nearer = Vector512.LessThan(d, b[g]);
                    s[g] = Vector512.Min(s[g], Vector512.Max(b[g], d));
                    b[g] = Vector512.Min(b[g], d);
                    at[g] = Vector512.ConditionalSelect(nearer, Vector512.Create((long)r), at[g]);
                }
            }
        }
        var nearest = new (int, int, int)[n];
        for (int i = 0; i < n; i++)
        {
            int bestDistance = (int)best[i / Lanes][i % Lanes];
            nearest[i] = (bestDistance, (int)second[i / Lanes][i % Lanes], bestDistance == int.MaxValue ? -1 : (int)rows[i / Lanes][i % Lanes]);
        }
        return nearest;

        Vector512<byte> BitsPerByte(Vector512<ulong> value)
        {
            var bytes = value.AsByte();
            var high = Vector512.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & lowNibble;
            return Avx512BW.Shuffle(bitsInNibble, bytes & lowNibble) + Avx512BW.Shuffle(bitsInNibble, high);
        }
    }

}
