using ArtMatch.Core.Matching;
using ArtMatch.Core.Sift;
using ArtMatch.Server.Tests.Support;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>A "possible" backed by SIFT agreement, on real pictures, OpenCV's SIFT and a real store (the engine fixture's 25 dev objects).</summary>
public sealed class SiftEvidenceTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    // A dev photo of fixture object 5 (Dürer's lion) seen at a tilt; object 12 is another painting.
    private Core.Sift.FeatureSet Photo(SiftEvidence evidence) => evidence.Describe(fixture.Engine.Describer.Decode(File.ReadAllBytes(RepoPaths.DevFile("queries/q0094.jpg"))));

    private string Right => fixture.Objects[5].Id;

    private string Wrong => fixture.Objects[12].Id;

    private static Candidate Scored(string objectId, Verdict verdict) => new(objectId, "", 0.9f, 0.9f, 0, verdict);

    private SiftEvidence Evidence(int floor, bool rescue = false) =>
        fixture.Engine.NewSiftEvidence(new SiftEvidenceSettings { Floor = floor, Candidates = 3, Rescue = rescue });

    [Fact]
    public void Inliers_ThePhotographedObjectAgainstAnother_ManyAgainstFew()
    {
        var evidence = Evidence(floor: 1);
        var photo = Photo(evidence);
        int right = evidence.Inliers(photo, Right), wrong = evidence.Inliers(photo, Wrong);
        Assert.True(right >= 20 && wrong < right / 4, $"{right} inliers on the photographed object, {wrong} on another");
    }

    [Theory]
    [InlineData(SiftGeometry.Affine)]
    [InlineData(SiftGeometry.Fundamental)]
    public void Inliers_OtherGeometry_ThePhotographedObjectAgainstAnother_ManyAgainstFew(SiftGeometry geometry)
    {
        var evidence = fixture.Engine.NewSiftEvidence(new SiftEvidenceSettings { Floor = 1, Geometry = geometry });
        var photo = Photo(evidence);
        int right = evidence.Inliers(photo, Right), wrong = evidence.Inliers(photo, Wrong);
        Assert.True(right >= 20 && wrong < right / 4, $"{geometry}: {right} inliers on the photographed object, {wrong} on another");
    }

    [Fact]
    public void Judge_TheObjectRankedSecond_BackedAndPutFirst()
    {
        var evidence = Evidence(floor: 15);
        var judged = evidence.Judge(Photo(evidence), [Scored(Wrong, Verdict.Possible), Scored(Right, Verdict.Possible)]);

        Assert.Equal(Right, judged[0].ObjectId);
        Assert.Equal(Verdict.Possible, judged[0].Verdict);
        Assert.Equal(Verdict.Possible, judged[0].VerdictBeforeEvidence);
        Assert.True(judged[0].EvidenceInliers >= 15);
        Assert.Equal(Wrong, judged[1].ObjectId);
        Assert.True(judged[1].EvidenceInliers < 15);
    }

    [Fact]
    public void Judge_OnlyALookAlike_AnsweredNoMatch()
    {
        var evidence = Evidence(floor: 15);
        var judged = evidence.Judge(Photo(evidence), [Scored(Wrong, Verdict.Possible)]);

        Assert.Equal(Wrong, judged[0].ObjectId);
        Assert.Equal(Verdict.NoMatch, judged[0].Verdict);
        Assert.Equal(Verdict.Possible, judged[0].VerdictBeforeEvidence);
    }

    [Fact]
    public void Judge_WithoutDemoting_PutsTheBackedOneFirstAndKeepsTheVerdicts()
    {
        var evidence = fixture.Engine.NewSiftEvidence(new SiftEvidenceSettings { Floor = 15, Candidates = 3, Demote = false });
        var photo = Photo(evidence);
        var promoted = evidence.Judge(photo, [Scored(Wrong, Verdict.Possible), Scored(Right, Verdict.Possible)]);
        var kept = evidence.Judge(photo, [Scored(Wrong, Verdict.Possible)]);

        Assert.Equal((Right, Verdict.Possible), (promoted[0].ObjectId, promoted[0].Verdict));
        Assert.Equal((Wrong, Verdict.Possible), (kept[0].ObjectId, kept[0].Verdict));
        Assert.True(kept[0].EvidenceInliers < 15);
    }

    [Fact]
    public void Judge_AMatchNeverChecked_ANoMatchOnlyWhenRescuing()
    {
        var evidence = Evidence(floor: 15);
        var photo = Photo(evidence);
        var match = evidence.Judge(photo, [Scored(Wrong, Verdict.Match)]);
        var none = evidence.Judge(photo, [Scored(Right, Verdict.NoMatch)]);
        var rescued = Evidence(floor: 15, rescue: true).Judge(photo, [Scored(Wrong, Verdict.NoMatch), Scored(Right, Verdict.NoMatch)]);

        Assert.Equal((Verdict.Match, (int?)null), (match[0].Verdict, match[0].EvidenceInliers));
        Assert.Equal((Verdict.NoMatch, (int?)null), (none[0].Verdict, none[0].EvidenceInliers));
        Assert.Equal((Right, Verdict.Possible, (Verdict?)Verdict.NoMatch), (rescued[0].ObjectId, rescued[0].Verdict, rescued[0].VerdictBeforeEvidence));
    }

    [Fact]
    public void FloorFor_ImpostorTrials_LetsThroughAtMostTheRate()
    {
        int[] impostor = [0, 0, 0, 0, 5, 6, 7, 8, 9, 30];
        Assert.Equal(31, SiftEvidenceCalibrator.FloorFor(impostor, 0.05)); // none of ten may pass
        Assert.Equal(10, SiftEvidenceCalibrator.FloorFor(impostor, 0.10)); // one may: the 30
        Assert.Equal(9, SiftEvidenceCalibrator.FloorFor(impostor, 0.20));
        Assert.Equal(4, SiftEvidenceCalibrator.FloorFor([0, 0, 0, 0], 0.10)); // never below a homography's four
    }
}
