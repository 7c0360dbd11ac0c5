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

    /// <summary>
    /// The process's CPU time (all threads: matches, speculation, the store's scans) over the queries,
    /// divided by the queries: the work an answer costs, where latency shows only the wait.
    /// </summary>
    public double CpuMillisecondsPerQuery { get; init; }

    /// <summary>1:1 verification figures, when the evaluation verified.</summary>
    public VerifySummary? Verify { get; init; }

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

    /// <summary>When set, every matchable query is also verified against its object and its nearest wrong one.</summary>
    public Verifier? Verifier { get; init; }

    public EvalReport Run(EvalSet set, string pipelineName, object settings, IProgress<(string Stage, int Done, int Total)>? progress = null)
    {
        var entries = CatalogFile.Read(Path.Combine(set.Directory, "catalog.csv"));
        var import = importer.Import(entries, new SyncProgress<ImportProgress>(p => progress?.Report(("catalogue", p.EntriesDone, p.EntriesTotal))));

        var outcomes = new QueryOutcome[set.Queries.Count];
        int done = 0;
        var cpuBefore = OtherProcessesLoad.OwnProcessorTime();
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
                Verify = Verifier is not null && query.IsMatchable ? VerifyPairs(query, result) : null,
            };
            progress?.Report(("queries", Interlocked.Increment(ref done), set.Queries.Count));
        });

        var cpu = OtherProcessesLoad.OwnProcessorTime() - cpuBefore;
        return new EvalReport
        {
            CpuMillisecondsPerQuery = set.Queries.Count == 0 ? 0 : cpu.TotalMilliseconds / set.Queries.Count,
            SetDirectory = set.Directory,
            ModelId = matcher.Describer.VectorSpaceId,
            Pipeline = pipelineName,
            Overall = EvalMetrics.Summarise(outcomes),
            PerKind = EvalMetrics.SummarisePerKind(outcomes),
            Outcomes = outcomes,
            Import = import,
            Settings = settings,
            Verify = Verifier is null ? null : VerifyMetrics.Summarise(outcomes.Select(o => o.Verify).OfType<VerifyOutcome>().ToList()),
        };
    }

    /// <summary>
    /// The query against its expected object (genuine) and against the object Match ranked highest
    /// among the wrong ones (the near-miss impostor; when Match listed none, the best with the right ones left out).
    /// </summary>
    private VerifyOutcome VerifyPairs(EvalQuery query, MatchResult result)
    {
        DescribedPhoto photo;
        try
        {
            photo = Verifier!.Describe(File.ReadAllBytes(query.ImagePath));
        }
        catch (Exception e) when (e is IOException or Imaging.ImageDecodeException)
        {
            // An unreadable photo verifies nothing: a genuine pair rejected, no impostor pair.
            return new VerifyOutcome(0, VerifyVerdict.Different, null, 0, VerifyVerdict.Different);
        }
        var genuine = Verifier.VerifyObject(photo, query.ExpectedObjectIds[0]);
        string? rival = result.Candidates.Select(c => c.ObjectId).FirstOrDefault(id => !query.ExpectedObjectIds.Contains(id))
            ?? matcher.Match(photo.Image, new MatchRequest { TopK = 1, ExcludeObjectIds = query.ExpectedObjectIds.ToHashSet() }).Best?.ObjectId;
        var impostor = rival is null ? null : Verifier.VerifyObject(photo, rival);
        return new VerifyOutcome(genuine.Score, genuine.Verdict, rival, impostor?.Score ?? 0, impostor?.Verdict ?? VerifyVerdict.Different)
        {
            Genuine = genuine,
            Impostor = impostor,
        };
    }
}
