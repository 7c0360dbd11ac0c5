namespace ArtMatch.Core.Sift;

/// <summary>
/// The catalogue's visual words: k-means centres of its RootSIFT descriptors (<see cref="Words"/> rows of
/// 128 floats), learned from <see cref="LearnedFrom"/> catalogue pictures.
/// </summary>
public sealed record SiftVocabulary(int Words, float[] Centres, int LearnedFrom, DateTimeOffset LearnedAt)
{
    public static SiftVocabulary Create(float[] centres, int learnedFrom, DateTimeOffset learnedAt)
    {
        ArgumentNullException.ThrowIfNull(centres);
        if (centres.Length == 0 || centres.Length % FeatureSet.DescriptorLength != 0)
            throw new ArgumentException($"{centres.Length} floats are not rows of {FeatureSet.DescriptorLength}.", nameof(centres));
        if (centres.Length / FeatureSet.DescriptorLength > ushort.MaxValue + 1)
            throw new ArgumentException("At most 65536 visual words (a word is stored in 16 bits).", nameof(centres));
        return new SiftVocabulary(centres.Length / FeatureSet.DescriptorLength, centres, learnedFrom, learnedAt);
    }
}

/// <summary>One catalogue picture found by its visual words: tf-idf cosine with the photo's.</summary>
public sealed record SiftHit(string ObjectId, string ImageId, float Score);
