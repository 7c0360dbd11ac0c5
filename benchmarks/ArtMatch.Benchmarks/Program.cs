using ArtMatch.Benchmarks;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Script modes print JSON for benchmarks/run.sh; anything else goes to BenchmarkDotNet.
return args.FirstOrDefault() switch
{
    "throughput" => Scripts.Throughput(args[1], args.Length > 2 ? int.Parse(args[2]) : Environment.ProcessorCount, args.Length > 3 ? int.Parse(args[3]) : 1,
        args.Length > 4 ? int.Parse(args[4]) : 1),
    "throughput-stages" => Scripts.ThroughputStages(args[1]),
    "grpc-load" => Scripts.GrpcLoad(args[1], args[2], int.Parse(args[3]), double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 5 ? args[5] : null),
    "export-vectors" => Scripts.ExportVectors(args[1], int.Parse(args[2]), int.Parse(args[3])),
    "search-timing" => Scripts.SearchTiming(args[1]),
    "make-photos" => Scripts.MakePhotos(args[1], int.Parse(args[2])),
    "dump-descriptors" => Scripts.DumpDescriptors(args[1], args[2]),
    "decode-memory" => DecodeMemory.Run(int.Parse(args[1]), args.Length > 2 ? args[2] : "product"),
    "scale" => Scale.Run(args[1..]),
    "match-stages" => MatchStages.Run(args[1..]),
    "stage-parts" => StageParts.Run(args[1..]),
    "evidence-parts" => EvidenceParts.Run(args[1..]),
    "evidence-geometry" => EvidenceGeometry.Run(args[1..]),
    "match-answers" => MatchAnswers.Run(args[1..]),
    "match-ab" => MatchAb.Run(args[1..]),
    "local-encoding" => LocalEncoding.Run(args[1..]),
    "match-traces" => MatchTraces.Run(args[1..]),
    "coarse-regions" => CoarseRegionsProbe.Run(args[1..]),
    "cascade-choose" => CascadeChoose.Run(args[1..]),
    "store-memory" => StoreMemory.Run(args[1..]),
    "usearch" => UsearchPeer.Run(args[1..]),
    "session-options" => SessionOptionTiming.Run(args.Length > 1 ? int.Parse(args[1]) : 30),
    _ => RunBenchmarkDotNet(args),
};

static int RunBenchmarkDotNet(string[] args)
{
    // BenchmarkDotNet rebuilds the whole solution per job without the shared compiler: on a loaded
    // two-core machine that passes its default two-minute build timeout.
    var config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(15));
    BenchmarkSwitcher.FromAssembly(typeof(Fixtures).Assembly).Run(args, config);
    return 0;
}
