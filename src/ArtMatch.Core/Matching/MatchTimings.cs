using System.Diagnostics;

namespace ArtMatch.Core.Matching;

/// <summary>
/// Where one match spent its time, stage by stage, as the <see cref="Matcher"/> measured it; the
/// server turns each stage into a latency histogram. Describe includes the photo's keypoint
/// detection; Keypoints is the search of the catalogue's keypoints; Verdict is ranking, judging and
/// fetching the candidates' records. Decode is zero when the caller decoded the photo itself.
/// </summary>
public sealed record MatchTimings
{
    public static readonly MatchTimings None = new();

    public TimeSpan Decode { get; init; }
    public TimeSpan Describe { get; init; }
    public TimeSpan VectorSearch { get; init; }
    public TimeSpan Keypoints { get; init; }
    public TimeSpan Verification { get; init; }
    public TimeSpan Verdict { get; init; }

    /// <summary>Every stage by its name (lower case, as metrics label it), in pipeline order.</summary>
    public IEnumerable<(string Stage, TimeSpan Elapsed)> Stages()
    {
        yield return ("decode", Decode);
        yield return ("describe", Describe);
        yield return ("vector_search", VectorSearch);
        yield return ("keypoints", Keypoints);
        yield return ("verification", Verification);
        yield return ("verdict", Verdict);
    }
}

/// <summary>Time since the previous lap: one stage boundary after another, without a stopwatch object per stage.</summary>
internal struct StageLap()
{
    private long _last = Stopwatch.GetTimestamp();

    public TimeSpan Next()
    {
        long now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_last, now);
        _last = now;
        return elapsed;
    }
}
