namespace ArtMatch.Core.Sift;

/// <summary>How SIFT features are made, searched and verified. Units are features, pixels of the decoded picture, and words.</summary>
public sealed record SiftSettings
{
    /// <summary>Features kept per catalogue picture (the strongest): 136 bytes each on disk, none in memory but its words.</summary>
    public int CatalogueFeatures { get; init; } = 1000;

    /// <summary>Features of a query photo.</summary>
    public int QueryFeatures { get; init; } = 1500;

    /// <summary>Pictures smaller than this (long side) are enlarged before detection, so that a small close-up yields features at all.</summary>
    public int MinLongSide { get; init; } = 320;

    /// <summary>
    /// Visual words of the vocabulary (k-means centres). 4096 by measurement (benchmarks/RESULTS.md, issue 18,
    /// `eval --search-recall-store`): of the dev queries whose picture SIFT verifies directly (>= 15 inliers),
    /// the 40-picture shortlist held it for 0.905 at 1024 words and 0.948 at 4096; learning 4096 words costs
    /// about 6 CPU-minutes for 500 pictures (k-means on the 200,000-descriptor sample) against 1.5 at 1024.
    /// </summary>
    public int VocabularyWords { get; init; } = 4096;

    /// <summary>Descriptors sampled from the catalogue to learn the vocabulary from (at most).</summary>
    public int VocabularySample { get; init; } = 200_000;

    /// <summary>Relearn the vocabulary when the pictures it knows changed by more than this share.</summary>
    public double VocabularyStaleShare { get; init; } = 0.25;

    /// <summary>
    /// Visual words each feature of a query photo votes for (its nearest first): with more than one, a
    /// descriptor that a change of light or camera moved across a word's border still meets the catalogue
    /// features on the other side (soft assignment on the query only; the catalogue keeps one word a feature).
    /// </summary>
    public int QueryNearestWords { get; init; } = 1;

    /// <summary>
    /// Catalogue pictures the inverted file passes to geometric verification. 50: with 4096 words it held the
    /// directly verifiable picture for 0.950 of those dev queries (0.948 at 40, 0.955 at 80; benchmarks/RESULTS.md).
    /// </summary>
    public int Shortlist { get; init; } = 50;

    /// <summary>Lowe's ratio for a pair of features to count as a match.</summary>
    public float Ratio { get; init; } = 0.8f;

    /// <summary>Reprojection error (pixels of the catalogue picture) within which a pair agrees with the homography.</summary>
    public double ReprojectionPixels { get; init; } = 6;

    /// <summary>Distance (pixels of the catalogue picture) from its epipolar line within which a pair agrees with a fundamental matrix.</summary>
    public double EpipolarPixels { get; init; } = 3;

    /// <summary>How far (factor) an inlier's scale change may differ from the median scale change of all inliers.</summary>
    public double ScaleTolerance { get; init; } = 1.6;

    /// <summary>How far (degrees) an inlier's rotation may differ from the median rotation of all inliers.</summary>
    public double AngleTolerance { get; init; } = 25;
}
