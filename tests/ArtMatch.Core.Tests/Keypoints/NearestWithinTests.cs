using System.Runtime.Intrinsics.X86;
using ArtMatch.Core.Keypoints;

namespace ArtMatch.Core.Tests.Keypoints;

/// <summary>The exhaustive nearest-descriptor search: the AVX-512 path gives the plain loop's answer, ties and all.</summary>
public class NearestWithinTests
{
    /// <summary>Random descriptors, some photo ones copied from the picture with a few bits flipped, some rows repeated (ties).</summary>
    private static (KeypointSet Photo, KeypointSet Picture) Sets(int photoCount, int pictureCount, int seed)
    {
        var random = new Random(seed);
        var picture = new ulong[pictureCount * 4];
        for (int i = 0; i < picture.Length; i++)
            picture[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        // Repeated rows: the first row at the least distance must win.
        for (int r = 1; r < pictureCount; r += 7)
            Array.Copy(picture, (r - 1) * 4, picture, r * 4, 4);
        var photo = new ulong[photoCount * 4];
        for (int i = 0; i < photoCount; i++)
        {
            if (i % 3 == 0 && pictureCount > 0)
            {
                Array.Copy(picture, random.Next(pictureCount) * 4, photo, i * 4, 4);
                for (int flip = random.Next(12); flip > 0; flip--)
                    photo[i * 4 + random.Next(4)] ^= 1UL << random.Next(64);
            }
            else
            {
                for (int w = 0; w < 4; w++)
                    photo[i * 4 + w] = (ulong)random.NextInt64();
            }
        }
        static KeypointSet Set(ulong[] descriptors) =>
            new(100, 100, Enumerable.Range(0, descriptors.Length / 4).Select(i => new Keypoint(i, i, 1, 0)).ToArray(), descriptors);
        return (Set(photo), Set(picture));
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(13, 40)]
    [InlineData(500, 3000)]
    [InlineData(9, 0)]
    public void NearestWithin_GivesThePlainLoopsAnswer(int photoCount, int pictureCount)
    {
        var (photo, picture) = Sets(photoCount, pictureCount, seed: photoCount * 31 + pictureCount);
        var plain = KeypointIndex.NearestWithinScalar(photo, picture);
        var used = KeypointIndex.NearestWithin(photo, picture);
        Assert.Equal(plain, used);
        if (pictureCount > 0)
            Assert.Contains(plain, p => p.Best <= 12);
    }

    [Avx512Theory]
    [InlineData(8, 1)]
    [InlineData(17, 5000)]
    [InlineData(500, 6000)]
    public void NearestWithinWide_GivesThePlainLoopsAnswer(int photoCount, int pictureCount)
    {
        var (photo, picture) = Sets(photoCount, pictureCount, seed: photoCount * 7 + pictureCount);
        Assert.Equal(KeypointIndex.NearestWithinScalar(photo, picture), KeypointIndex.NearestWithinWide(photo, picture));
    }

    /// <summary>Runs only where the AVX-512 path can run; skipped, saying so, elsewhere.</summary>
    private sealed class Avx512TheoryAttribute : TheoryAttribute
    {
        public Avx512TheoryAttribute()
        {
            if (!Avx512BW.IsSupported)
                Skip = "No AVX-512 (BW) on this machine: the wide nearest-descriptor path cannot run here; only the plain loop was tested.";
        }
    }
}
