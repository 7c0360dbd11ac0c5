using ArtMatch.Core.Matching;
using ArtMatch.Server.Tests.Support;
using ArtMatch.TestSupport;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>A "possible" backed by 1:1 evidence, on real pictures, the real model and a real store (the engine fixture's 25 dev objects).</summary>
public sealed class PossibleEvidenceTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private Core.Imaging.RgbImage Photo => fixture.Engine.Describer.Decode(File.ReadAllBytes(RepoPaths.DevFile("queries/q0094.jpg")));

    private static Candidate Possible(string objectId) => new(objectId, "", 0.9f, 0.9f, 0, Verdict.Possible);

    [Fact]
    public void Judge_TheRightObjectAndALookAlike_OnlyTheRightOneKeepsPossible()
    {
        var verifier = fixture.Engine.RequireVerifier();
        var right = new PossibleEvidence(verifier, floor: 0).Judge(Photo, Possible(fixture.Objects[5].Id));
        var wrong = new PossibleEvidence(verifier, floor: 0).Judge(Photo, Possible(fixture.Objects[12].Id));
        Assert.True(right.Evidence > wrong.Evidence, $"evidence {right.Evidence} for the photographed object, {wrong.Evidence} for another");

        // A floor between the two: the photographed object stays "possible", the other is answered "no match".
        float floor = (right.Evidence!.Value + wrong.Evidence!.Value) / 2;
        var gate = new PossibleEvidence(verifier, floor);

        Assert.Equal(Verdict.Possible, gate.Judge(Photo, Possible(fixture.Objects[5].Id)).Verdict);
        Assert.Equal(Verdict.NoMatch, gate.Judge(Photo, Possible(fixture.Objects[12].Id)).Verdict);
    }

    [Fact]
    public void Judge_AMatchOrNoMatch_LeftAsItIsAndNotVerified()
    {
        var gate = new PossibleEvidence(fixture.Engine.RequireVerifier(), floor: 100);
        var match = Possible(fixture.Objects[5].Id) with { Verdict = Verdict.Match };
        var none = Possible(fixture.Objects[12].Id) with { Verdict = Verdict.NoMatch };

        Assert.Same(match, gate.Judge(Photo, match));
        Assert.Same(none, gate.Judge(Photo, none));
    }
}
