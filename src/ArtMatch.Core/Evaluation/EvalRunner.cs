using System.Diagnostics;
using ArtMatch.Core.Import;
using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Evaluation;

/// <summary>Everything one evaluation produced: per-query outcomes and the figures over them.</summary>
public sealed record EvalReport
{
    public required string SetDirectory { get; init; }
    public required string ModelId { get; init; }
    public required string Pipeline { get; init; }
    public required MetricSummary Overall { get; init; }
    public required IReadOnlyDictionary<string, MetricSummary> PerKind { get; init; }
    public required IReadOnlyList<QueryOutcome> Outcomes { get; init; }
    public required ImportSummary Import { get; init; }
    public required object Settings { get; init; }

    /// <summary>Queries answered wrongly: the right object not first, or a verdict contradicting the truth.</summary>
    public IEnumerable<QueryOutcome> WrongAnswers => Outcomes.Where(IsWrong);

    public static bool IsWrong(QueryOutcome o) => o.Query.IsMatchable
        ? o.RankedObjectIds.Count == 0 || !o.Query.ExpectedObjectIds.Contains(o.RankedObjectIds[0]) || o.Verdict == Verdict.NoMatch
        : o.Verdict == Verdict.Match;
}

/// <summary>
/// Runs an evaluation set through the same pipeline as the server: import the catalogue into the
/// store the caller built (fresh), then match every query.
/// </summary>
public sealed class EvalRunner(CatalogImporter importer, Matcher matcher)
{
    public int Parallelism { get; init; } = 1;

    public EvalReport Run(EvalSet set, string pipelineName, object settings, IProgress<(string Stage, int Done, int Total)>? progress = null)
    {
        var entries = CatalogFile.Read(Path.Combine(set.Directory, "catalog.csv"));
        var import = importer.Import(entries, new SyncProgress<ImportProgress>(p => progress?.Report(("catalogue", p.EntriesDone, p.EntriesTotal))));

        var outcomes = new QueryOutcome[set.Queries.Count];
        int done = 0;
        Parallel.For(0, set.Queries.Count, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, i =>
        {
            var query = set.Queries[i];
            var clock = Stopwatch.StartNew();
            MatchResult result;
            try
            {
                result = matcher.Match(File.ReadAllBytes(query.ImagePath), new MatchRequest { TopK = 10 });
            }
            catch (Exception e) when (e is IOException or Imaging.ImageDecodeException)
            {
                result = new MatchResult([], Verdict.NoMatch, 0, matcher.Describer.VectorSpaceId, 0) { AnsweredAfter = "" };
                progress?.Report(($"query {query.ImagePath} failed: {e.Message}", done, set.Queries.Count));
            }
            outcomes[i] = new QueryOutcome(query, result.Candidates.Select(c => c.ObjectId).ToList(),
                result.Candidates.Select(c => c.Score).ToList(), result.Verdict, clock.Elapsed.TotalMilliseconds)
            {
                Candidates = result.Candidates,
                Timings = result.Timings,
                AnsweredAfter = result.AnsweredAfter,
            };
            progress?.Report(("queries", Interlocked.Increment(ref done), set.Queries.Count));
        });

        return new EvalReport
        {
            SetDirectory = set.Directory,
            ModelId = matcher.Describer.VectorSpaceId,
            Pipeline = pipelineName,
            Overall = EvalMetrics.Summarise(outcomes),
            PerKind = EvalMetrics.SummarisePerKind(outcomes),
            Outcomes = outcomes,
            Import = import,
            Settings = settings,
        };
    }
}
