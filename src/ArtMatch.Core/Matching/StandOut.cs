namespace ArtMatch.Core.Matching;

/// <summary>How far the best candidate stands out from the photo's other look-alikes (<see cref="StandOut"/>).</summary>
public enum StandOutStatistic
{
    /// <summary>(r1 - mean(r2..rN)) / std(r2..rN): the best candidate's lead in standard deviations of the others.</summary>
    ZScore = 0,

    /// <summary>(r1 - r2) / (r1 - rN): the share of the cohort's spread that lies between the best and the runner-up.</summary>
    GapRatio = 1,
}

/// <summary>
/// The best candidate's stand-out from the photo's other candidates, measured on the rank scores (whitened
/// when the store whitens, the plain cosine otherwise, plus the geometric bonus) of the first
/// <c>cohort</c> candidates. An innocent photo of, say, a painting resembles many catalogue paintings
/// about equally; a photo of a catalogued object resembles that object more than the rest. Scale-free
/// (a ratio of score differences), so it does not move with the catalogue's whitening.
/// </summary>
public readonly record struct StandOut(float ZScore, float GapRatio)
{
    /// <summary>
    /// The stand-out of the first of <paramref name="rankScores"/> (ordered best first) over the next
    /// <paramref name="cohort"/> - 1; null when there are fewer than <paramref name="cohort"/> (a catalogue
    /// smaller than the cohort, or a search that found fewer): the statistic would not mean the same thing.
    /// </summary>
    public static StandOut? Measure(IReadOnlyList<float> rankScores, int cohort)
    {
        if (cohort < 3 || rankScores.Count < cohort)
            return null;
        float best = rankScores[0];
        double sum = 0;
        for (int i = 1; i < cohort; i++)
            sum += rankScores[i];
        double mean = sum / (cohort - 1);
        double squares = 0;
        for (int i = 1; i < cohort; i++)
            squares += (rankScores[i] - mean) * (rankScores[i] - mean);
        double std = Math.Sqrt(squares / (cohort - 1));
        // Others all alike: a lead stands out by a very large (finite, for JSON) value, none by 0.
        float z = (float)((best - mean) / Math.Max(std, 1e-6));
        float spread = best - rankScores[cohort - 1];
        float gap = spread > 1e-9f ? (best - rankScores[1]) / spread : 0;
        return new StandOut(z, gap);
    }

    /// <summary>The value of <paramref name="statistic"/>.</summary>
    public float Of(StandOutStatistic statistic) => statistic == StandOutStatistic.GapRatio ? GapRatio : ZScore;
}
