using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Matching.Stages;

/// <summary>Choosing the stopping rules from hand-made traces of calibration trials.</summary>
public class CascadeCalibratorTests
{
    private static readonly VerdictThresholds Thresholds = new() { Match = 1.0f, Possible = 0.7f, MinMargin = 0.15f };

    /// <summary>A step's answer with some geometric agreement (the "nothing lines up" rule does not apply to it).</summary>
    private static StepAnswer Step(string step, Verdict verdict, string? best, float score, float margin) => new(step, verdict, best, score, margin) { Geometry = 1 };

    /// <summary>A step's answer with nothing lining up with the photo.</summary>
    private static StepAnswer Bare(string step, Verdict verdict, string? best, float score, float margin) => Step(step, verdict, best, score, margin) with { Geometry = 0 };

    /// <summary>80 easy genuine views, 10 look-alike traps (a wrong "match" by a small lead that escalation corrects), 10 impostors nothing resembles.</summary>
    private static List<IReadOnlyList<StepAnswer>> Traces()
    {
        var traces = new List<IReadOnlyList<StepAnswer>>();
        for (int i = 0; i < 80; i++)
            traces.Add([Step("search", Verdict.Match, "a", 1.2f, 0.5f), Step("keypoints", Verdict.Match, "a", 1.3f, 0.55f)]);
        for (int i = 0; i < 10; i++)
            traces.Add([Step("search", Verdict.Match, "x", 1.1f, 0.2f), Step("keypoints", Verdict.Match, "y", 1.6f, 0.4f)]);
        for (int i = 0; i < 10; i++)
            traces.Add([Step("search", Verdict.NoMatch, "z", 0.3f, 0.05f), Step("keypoints", Verdict.NoMatch, "w", 0.35f, 0.1f)]);
        return traces;
    }

    [Fact]
    public void Choose_StopMarginAboveTheTrapsLead_NoAnswerChanged()
    {
        var result = new CascadeCalibrator { TargetChangedRate = 0.005 }.Choose(Traces(), new CascadeSettings(), Thresholds);

        Assert.Equal(0.21f, result.Rules.StopMatchMargin, 3);
        Assert.Equal(0, result.ChangedRate);
        Assert.Equal(90, result.AnsweredAfter["search"]);
        Assert.Equal(10, result.AnsweredAfter["keypoints"]);
    }

    [Fact]
    public void Choose_NoMatchRule_StopsImpostorsNothingResemblesButNeverAboveThePossibleThreshold()
    {
        var result = new CascadeCalibrator().Choose(Traces(), new CascadeSettings(), Thresholds);

        Assert.InRange(result.Rules.StopNoMatchBelow, 0.31f, Thresholds.Possible);
    }

    [Fact]
    public void Choose_SidewaysGenuineLowUntilTurns_CheapPassRuleStaysBelowItsScoreLaterStepsStopImpostors()
    {
        var traces = new List<IReadOnlyList<StepAnswer>>();
        // Sideways genuine views: low until the turns stage finds them.
        for (int i = 0; i < 20; i++)
            traces.Add([Step("search", Verdict.NoMatch, "x", 0.45f, 0.05f), Step("keypoints", Verdict.NoMatch, "x", 0.5f, 0.05f), Step("turns", Verdict.Match, "a", 1.3f, 0.5f), Step("regions", Verdict.Match, "a", 1.3f, 0.5f)]);
        // Impostors: a look-alike at 0.6 before turns, still no match at the end.
        for (int i = 0; i < 80; i++)
            traces.Add([Step("search", Verdict.NoMatch, "z", 0.6f, 0.05f), Step("keypoints", Verdict.NoMatch, "z", 0.6f, 0.05f), Step("turns", Verdict.NoMatch, "z", 0.62f, 0.05f), Step("regions", Verdict.NoMatch, "z", 0.65f, 0.05f)]);

        var result = new CascadeCalibrator().Choose(traces, new CascadeSettings(), Thresholds);

        Assert.Equal(0, result.ChangedRate);
        Assert.True(result.Rules.NoMatchBelow("search") <= 0.45f, $"cheap pass rule {result.Rules.NoMatchBelow("search")}");
        Assert.True(result.Rules.NoMatchBelow("turns") > 0.62f, $"turns rule {result.Rules.NoMatchBelow("turns")}");
        Assert.Equal(100, result.AnsweredAfter["turns"]);   // genuine by the match rule, impostors by the no-match rule
    }

    /// <summary>One object small in clutter (low until the regions find it) among 199 impostors a little above it before the regions.</summary>
    private static List<IReadOnlyList<StepAnswer>> OneHardGenuineAmongImpostors()
    {
        var traces = new List<IReadOnlyList<StepAnswer>>
        {
            new[] { Step("search", Verdict.NoMatch, "x", 0.40f, 0.02f), Step("turns", Verdict.NoMatch, "x", 0.42f, 0.02f), Step("regions", Verdict.Match, "a", 1.2f, 0.4f) },
        };
        for (int i = 0; i < 199; i++)
            traces.Add([Step("search", Verdict.NoMatch, "z", 0.5f, 0.05f), Step("turns", Verdict.NoMatch, "z", 0.5f, 0.05f), Step("regions", Verdict.NoMatch, "z", 0.52f, 0.05f)]);
        return traces;
    }

    [Fact]
    public void Choose_NoMatchBudgetNoneByDefault_TheOneHardGenuineTrialIsNeverStopped()
    {
        var traces = OneHardGenuineAmongImpostors();

        var strict = new CascadeCalibrator().Choose(traces, new CascadeSettings(), Thresholds);
        // A budget of one trial in 200 (shared as before) buys stopping the impostors early, and loses the hard genuine view.
        var lax = new CascadeCalibrator { NoMatchChangedRate = 0.005, MatchShare = 0 }.Choose(traces, new CascadeSettings(), Thresholds);

        Assert.Equal(0, strict.ChangedRate);
        Assert.True(strict.Rules.NoMatchBelow("search") <= 0.40f && strict.Rules.NoMatchBelow("turns") <= 0.42f, $"rules {strict.Rules.NoMatchBelow("search")} / {strict.Rules.NoMatchBelow("turns")}");
        Assert.Equal(200, strict.AnsweredAfter["regions"]);
        Assert.Equal(0.005, lax.ChangedRate, 4);
        // (the budget grows step by step: the last step before the regions may spend all of it)
        Assert.True(lax.Rules.NoMatchBelow("turns") > 0.5f, $"lax turns rule {lax.Rules.NoMatchBelow("turns")}");
        Assert.Equal(200, lax.AnsweredAfter["turns"]);
    }

    /// <summary>
    /// Objects small in clutter, low (0.45) until the regions find them, but whose corners line up after
    /// the keypoints (geometry 0.3); close-ups nothing lines up with before the keypoints, found by them;
    /// and impostors whose look-alike scores 0.6 at every step with nothing lining up, "no match" at the end.
    /// </summary>
    private static List<IReadOnlyList<StepAnswer>> ClutterCloseUpsAndLookAlikes(float impostorEnd = 0.62f)
    {
        var traces = new List<IReadOnlyList<StepAnswer>>();
        for (int i = 0; i < 10; i++)
        {
            traces.Add([Bare("search", Verdict.NoMatch, "x", 0.45f, 0.02f), Step("keypoints", Verdict.NoMatch, "x", 0.45f, 0.02f) with { Geometry = 0.3f },
                        Step("turns", Verdict.NoMatch, "x", 0.45f, 0.02f) with { Geometry = 0.3f }, Step("regions", Verdict.Match, "a", 1.2f, 0.4f) with { Geometry = 0.3f }]);
            traces.Add([Bare("search", Verdict.NoMatch, "y", 0.58f, 0.02f), Step("keypoints", Verdict.Match, "b", 1.4f, 0.6f) with { Geometry = 0.8f },
                        Step("turns", Verdict.Match, "b", 1.4f, 0.6f) with { Geometry = 0.8f }, Step("regions", Verdict.Match, "b", 1.4f, 0.6f) with { Geometry = 0.8f }]);
        }
        for (int i = 0; i < 180; i++)
        {
            traces.Add([Bare("search", Verdict.NoMatch, "z", 0.6f, 0.01f), Bare("keypoints", Verdict.NoMatch, "z", 0.6f, 0.01f),
                        Bare("turns", Verdict.NoMatch, "z", 0.6f, 0.01f), Bare("regions", impostorEnd >= Thresholds.Possible ? Verdict.Possible : Verdict.NoMatch, "z", impostorEnd, 0.01f)]);
        }
        return traces;
    }

    [Fact]
    public void Choose_UnverifiedRule_StopsLookAlikesAfterTheKeypointsWhereTheScoreRuleCannot()
    {
        var result = new CascadeCalibrator { ChooseUnverifiedRule = true }.Choose(ClutterCloseUpsAndLookAlikes(), new CascadeSettings(), Thresholds);

        Assert.Equal(0, result.ChangedRate);
        // The score alone must stay at or below the clutter views' 0.45 until the regions.
        Assert.True(result.Rules.NoMatchBelow("keypoints") <= 0.45f, $"score rule {result.Rules.NoMatchBelow("keypoints")}");
        // Nothing lines up with the look-alikes after the keypoints, while the clutter views line up: stopped there.
        Assert.InRange(result.Rules.UnverifiedBelow("keypoints"), 0.61f, Thresholds.Possible);
        // Before the keypoints the close-ups (0.58, nothing lined up yet) keep it below their score.
        Assert.True(result.Rules.UnverifiedBelow("search") <= 0.58f, $"cheap pass rule {result.Rules.UnverifiedBelow("search")}");
        Assert.Equal(190, result.AnsweredAfter["keypoints"]);
        Assert.Equal(10, result.AnsweredAfter["regions"]);
    }

    [Fact]
    public void Choose_UnverifiedRule_LookAlikesThatEndPossible_AreNotStopped()
    {
        // The regions lift the look-alike to "possible": a "no match" after the keypoints would change that answer.
        var result = new CascadeCalibrator { ChooseUnverifiedRule = true }.Choose(ClutterCloseUpsAndLookAlikes(impostorEnd: 0.75f), new CascadeSettings(), Thresholds);

        Assert.Equal(0, result.ChangedRate);
        Assert.True(result.Rules.UnverifiedBelow("keypoints") <= 0.6f, $"rule {result.Rules.UnverifiedBelow("keypoints")}");
        Assert.False(result.AnsweredAfter.ContainsKey("turns"));
        Assert.Equal(190, result.AnsweredAfter["regions"]);
    }

    [Fact]
    public void Choose_UnverifiedRuleNotAsked_KeepsTheConfiguredOne()
    {
        var result = new CascadeCalibrator().Choose(ClutterCloseUpsAndLookAlikes(), new CascadeSettings(), Thresholds);

        Assert.Null(result.Rules.StopUnverifiedBelowAfter);
        Assert.Equal(190, result.AnsweredAfter["regions"]);   // the look-alikes too
    }

    [Fact]
    public void IsCertain_UnverifiedRule_OnlyWhenNothingLinesUpAndTheGeometryIsKnown()
    {
        var rules = new CascadeSettings { StopNoMatchBelow = 0.3f, StopNoMatchBelowAfter = null, StopUnverifiedBelowAfter = new() { ["keypoints"] = 0.7f } };

        Assert.True(rules.IsCertain("keypoints", Verdict.NoMatch, 0, 0.6f, geometry: 0));
        Assert.False(rules.IsCertain("keypoints", Verdict.NoMatch, 0, 0.6f, geometry: 0.05f));
        Assert.False(rules.IsCertain("keypoints", Verdict.NoMatch, 0, 0.6f));              // geometry not known
        Assert.False(rules.IsCertain("turns", Verdict.NoMatch, 0, 0.6f, geometry: 0));      // step not named
        Assert.True((rules with { UnverifiedGeometry = 0.1f }).IsCertain("keypoints", Verdict.NoMatch, 0, 0.6f, geometry: 0.05f));
        Assert.False((rules with { StopNoMatchBelow = 0 }).IsCertain("keypoints", Verdict.NoMatch, 0, 0.6f, geometry: 0));
    }

    [Fact]
    public void NoMatchBelow_ZeroScalar_TurnsTheRuleOffAtEveryStep()
    {
        var rules = new CascadeSettings { StopNoMatchBelow = 0, StopNoMatchBelowAfter = new() { ["search"] = 0.6f } };

        Assert.Equal(0, rules.NoMatchBelow("search"));
        Assert.False(rules.IsCertain("search", Verdict.NoMatch, 0, 0.1f));
        Assert.True((rules with { StopNoMatchBelow = 0.3f }).IsCertain("search", Verdict.NoMatch, 0, 0.5f));
        Assert.Equal(0.3f, (rules with { StopNoMatchBelow = 0.3f }).NoMatchBelow("turns"));
    }

    [Fact]
    public void Choose_LargerBudget_AllowsALowerMarginThatChangesSomeAnswers()
    {
        var result = new CascadeCalibrator { TargetChangedRate = 0.2, MatchShare = 1 }.Choose(Traces(), new CascadeSettings(), Thresholds);

        Assert.Equal(Thresholds.MinMargin, result.Rules.StopMatchMargin, 3);
        Assert.Equal(0.1, result.ChangedRate, 3);
    }

    [Fact]
    public void Choose_EveryMatchWrongUntilTheEnd_NeverStopsOnAMatch()
    {
        var traces = Enumerable.Range(0, 50).Select(_ => (IReadOnlyList<StepAnswer>)
            [Step("search", Verdict.Match, "x", 2.5f, 2.5f), Step("regions", Verdict.Match, "y", 2.6f, 2.6f)]).ToList();

        var result = new CascadeCalibrator().Choose(traces, new CascadeSettings(), Thresholds);

        Assert.Equal(CascadeSettings.NeverStop, result.Rules.StopMatchMargin);
        Assert.Equal(50, result.AnsweredAfter["regions"]);
    }

    [Fact]
    public void StepAnswer_JudgedByOtherThresholds_KeepsTheColourVeto()
    {
        var vetoed = Step("search", Verdict.Possible, "a", 1.2f, 0.5f) with { ColourVeto = true };
        Assert.Equal(Verdict.Possible, vetoed.JudgedBy(Thresholds).Verdict);
        Assert.Equal(Verdict.Match, (vetoed with { ColourVeto = false }).JudgedBy(Thresholds).Verdict);
        Assert.Equal(Verdict.NoMatch, vetoed.JudgedBy(Thresholds with { Possible = 1.3f, Match = 1.4f }).Verdict);
    }
}
