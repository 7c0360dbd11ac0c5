using ArtMatch.Core.Evaluation;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Tests.Evaluation;

public class EvalMetricsTests
{
    private static QueryOutcome Outcome(string[] expected, string[] ranked, Verdict verdict, double ms = 10, string kind = "real") =>
        new(new EvalQuery("q.jpg", expected, kind, ""), ranked, ranked.Select((_, i) => 1f - i * 0.1f).ToList(), verdict, ms);

    [Fact]
    public void Summarise_HandMadeSet_GivesKnownFigures()
    {
        var outcomes = new[]
        {
            Outcome(["a"], ["a", "b"], Verdict.Match, 10),               // top1 hit, AP 1
            Outcome(["a"], ["b", "c", "a"], Verdict.Possible, 20),        // rank 3: recall@5 hit, AP 1/3
            Outcome(["a", "z"], ["z", "q", "a"], Verdict.Match, 30),      // two right answers: AP (1 + 2/3) / 2
            Outcome(["a"], ["b", "c", "d", "e", "f", "a"], Verdict.NoMatch, 40), // rank 6: recall@5 miss, miss verdict
            Outcome([], ["b"], Verdict.Match, 50),                         // false match
            Outcome([], ["b"], Verdict.Possible, 60),
            Outcome([], ["b"], Verdict.NoMatch, 70),
            Outcome([], [], Verdict.NoMatch, 80),
        };

        var summary = EvalMetrics.Summarise(outcomes);

        Assert.Equal(8, summary.Queries);
        Assert.Equal(4, summary.Matchable);
        Assert.Equal(4, summary.NoMatchQueries);
        Assert.Equal(0.5, summary.Top1, 9);
        Assert.Equal(0.75, summary.RecallAt5, 9);
        Assert.Equal((1 + 1.0 / 3 + (1 + 2.0 / 3) / 2 + 1.0 / 6) / 4, summary.Map, 9);
        Assert.Equal(0.25, summary.FalseMatchRate, 9);
        Assert.Equal(0.25, summary.MissRate, 9);
        Assert.Equal(0.25, summary.PossibleRateOnNoMatch, 9);
        Assert.Equal(40, summary.LatencyP50Ms);
        Assert.Equal(80, summary.LatencyP95Ms);
    }

    [Fact]
    public void SummarisePerKind_SplitsByKind()
    {
        var outcomes = new[]
        {
            Outcome(["a"], ["a"], Verdict.Match, kind: "real"),
            Outcome(["a"], ["b"], Verdict.Match, kind: "synthetic:crop"),
            Outcome(["a"], ["a"], Verdict.Match, kind: "synthetic:crop"),
        };

        var perKind = EvalMetrics.SummarisePerKind(outcomes);

        Assert.Equal(["real", "synthetic:crop"], perKind.Keys);
        Assert.Equal(1.0, perKind["real"].Top1);
        Assert.Equal(0.5, perKind["synthetic:crop"].Top1);
    }

    [Fact]
    public void Summarise_NoQueries_IsAllZero()
    {
        var summary = EvalMetrics.Summarise([]);
        Assert.Equal(0, summary.Top1);
        Assert.Equal(0, summary.FalseMatchRate);
        Assert.Equal(0, summary.LatencyP50Ms);
    }

    [Theory]
    [InlineData("", "", new string[0])]
    [InlineData("x", "", new[] { "x" })]
    [InlineData("x", "also=y", new[] { "x", "y" })]
    [InlineData("x", "crop of a box; also=y also=x", new[] { "x", "y" })]
    public void ExpectedIds_ReadsAlsoNotes(string expected, string notes, string[] ids) =>
        Assert.Equal(ids, EvalSet.ExpectedIds(expected, notes));

    [Fact]
    public void Load_TinySet_ResolvesPathsAndKinds()
    {
        var dir = Directory.CreateTempSubdirectory("evalset").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "catalog.csv"),
                "object_id,image,title,object_type,source,license\nobj-1,catalog/obj-1/1.jpg,\"A, title\",vase,somewhere,CC0\n");
            File.WriteAllText(Path.Combine(dir, "queries.csv"),
                "query,expected_object_id,kind,notes\nqueries/q1.jpg,obj-1,real,also=obj-2\nqueries/q2.jpg,,distractor,\n");

            var set = EvalSet.Load(dir);

            Assert.Equal("A, title", set.Catalog[0].Title);
            Assert.Equal(Path.Combine(dir, "catalog/obj-1/1.jpg"), set.Catalog[0].ImagePath);
            Assert.Equal(["obj-1", "obj-2"], set.Queries[0].ExpectedObjectIds);
            Assert.False(set.Queries[1].IsMatchable);
            Assert.Equal("distractor", set.Queries[1].Kind);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_MissingColumn_SaysWhichColumn()
    {
        var dir = Directory.CreateTempSubdirectory("evalset").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "catalog.csv"), "id,image\nx,y.jpg\n");
            File.WriteAllText(Path.Combine(dir, "queries.csv"), "query,expected_object_id\n");
            var error = Assert.Throws<InvalidDataException>(() => EvalSet.Load(dir));
            Assert.Contains("object_id", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
