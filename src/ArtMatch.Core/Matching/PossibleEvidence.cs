using ArtMatch.Core.Imaging;

namespace ArtMatch.Core.Matching;

/// <summary>
/// A "possible" that evidence must back. Match's score puts a photo at "possible" when it resembles a
/// catalogued object about as much as the catalogue's own look-alikes resemble each other (the impostor
/// median): on that score alone about half of all innocent photos raise a soft alarm. Before the answer
/// goes out, the best candidate is checked 1:1 (<see cref="Verifier"/>: every picture of the object, the
/// photo's keypoints found as densely as a catalogue picture's, SIFT pairs on one homography); the
/// "possible" stands only when that score reaches <see cref="VerifyThresholds.Evidence"/>, which
/// <c>artmatch calibrate --verify</c> sets from near-miss impostors (the object Match finds most similar
/// when a synthetic view's own object is left out), never from query answers. Below it: "no match".
/// Runs only for a photo answered "possible" (a clear match or no match costs nothing more).
/// </summary>
public sealed class PossibleEvidence(Verifier verifier, float floor)
{
    public float Floor => floor;

    /// <summary>The best candidate, with its evidence score and the verdict that evidence leaves it.</summary>
    public Candidate Judge(RgbImage photo, Candidate best, CancellationToken cancellation = default)
    {
        if (best.Verdict != Verdict.Possible)
            return best;
        float evidence = verifier.VerifyObject(verifier.Describe(photo), best.ObjectId, cancellation).Score;
        return best with { Evidence = evidence, Verdict = evidence >= floor ? Verdict.Possible : Verdict.NoMatch };
    }
}
