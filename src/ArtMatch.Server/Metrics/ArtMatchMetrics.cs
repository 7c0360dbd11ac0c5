using System.Diagnostics;
using System.Diagnostics.Metrics;
using ArtMatch.Core.Matching;
using ArtMatch.Server.Hosting;

namespace ArtMatch.Server.Metrics;

/// <summary>
/// The server's instruments (System.Diagnostics.Metrics, meter "ArtMatch.Server"): gRPC calls by
/// method and status code with their duration, Match latency by pipeline stage, and the catalogue's
/// size. Recording costs next to nothing until a listener (the OpenTelemetry exporter behind
/// <c>serve --metrics-port</c>) subscribes. Names follow OpenTelemetry's conventions; Prometheus
/// sees them as artmatch_rpc_requests_total, artmatch_rpc_duration_seconds,
/// artmatch_match_stage_duration_seconds, artmatch_catalogue_objects and artmatch_catalogue_vectors.
/// </summary>
public sealed class ArtMatchMetrics
{
    public const string MeterName = "ArtMatch.Server";

    // From a millisecond to a minute: a cached lookup to a Match of a large photo on a loaded machine.
    private static readonly InstrumentAdvice<double> LatencyBuckets = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    };

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _callDuration;
    private readonly Histogram<double> _stageDuration;
    private readonly Counter<long> _reclaimed;

    public ArtMatchMetrics(IMeterFactory meters, ArtMatchEngine engine)
    {
        var meter = meters.Create(MeterName);
        _calls = meter.CreateCounter<long>("artmatch.rpc.requests", "{request}", "gRPC calls answered, by method and status code");
        _callDuration = meter.CreateHistogram("artmatch.rpc.duration", "s", "gRPC call duration, by method and status code", tags: null, LatencyBuckets);
        _stageDuration = meter.CreateHistogram("artmatch.match.stage.duration", "s", "Match time per pipeline stage", tags: null, LatencyBuckets);
        _reclaimed = meter.CreateCounter<long>("artmatch.admission.reclaimed", "{photo}",
            "Photos stopped on a worker lent beyond their caller's share when another caller needed it (they wait and start over)");
        meter.CreateObservableGauge("artmatch.catalogue.objects", () => engine.Store?.ObjectCount ?? 0, "{object}", "Objects in the catalogue");
        meter.CreateObservableGauge("artmatch.catalogue.vectors", () => engine.Store?.VectorCount ?? 0, "{vector}", "Vectors searched per query (whole pictures and their regions)");
    }

    public void RecordCall(string service, string method, int statusCode, TimeSpan elapsed)
    {
        var tags = new TagList { { "rpc.service", service }, { "rpc.method", method }, { "rpc.grpc.status_code", statusCode } };
        _calls.Add(1, tags);
        _callDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void RecordReclaim() => _reclaimed.Add(1);

    public void RecordMatch(MatchTimings timings)
    {
        foreach (var (stage, elapsed) in timings.Stages())
            _stageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
    }
}
