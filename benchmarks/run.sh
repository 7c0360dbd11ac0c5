#!/usr/bin/env bash
# Runs ArtMatch's benchmarks and its peers on the same files, on this machine, one after another.
# Usage: benchmarks/run.sh [quick]   ("quick" = a CI smoke: tiny sizes, no BenchmarkDotNet)
#   BENCH_SECTIONS=bulk,search,ann,grpc,bdn picks the sections (default: all five), e.g.
#     BENCH_SECTIONS=bulk benchmarks/run.sh   (only ArtMatch against the Node peer);
#   BENCH_PAIRS=3 back-to-back ArtMatch/peer pairs in the bulk section (each ratio, then the median);
#   BENCH_WARMUP=50 photos each side embeds before its clock starts (steady state; 0 = from cold);
#   BENCH_FILTER='*Match*' limits the BenchmarkDotNet part (default: every benchmark);
#   ARTMATCH_BEFORE=/old/checkout adds that build's Match beside this one (MatchBeforeAfterBenchmarks).
# Prints JSON lines and BenchmarkDotNet tables; benchmarks/RESULTS.md records a full run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-full}"
"$root/scripts/setup.sh" >&2
work="$root/benchmarks/.fixtures"
mkdir -p "$work"
bench=(dotnet run -c Release --project "$root/benchmarks/ArtMatch.Benchmarks" --)
dotnet build -c Release "$root/benchmarks/ArtMatch.Benchmarks" --nologo -v quiet -clp:ErrorsOnly >&2

echo "## machine"
lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Flags' | sed 's/Flags:.*avx512_vnni.*/Flags: ... avx512_vnni .../'
model="$root/.models/mobilenetv2-12-int8.onnx"

if [ "$mode" = "quick" ]; then
  count=8; rows=2000; seconds=3; pictures=1000; scale_extra=(--approximate-above 0); pairs=1; warmup=1
else
  count=200; rows=100000; seconds=20; pictures=10000; scale_extra=(); pairs="${BENCH_PAIRS:-3}"; warmup="${BENCH_WARMUP:-50}"
fi
sections=",${BENCH_SECTIONS:-bulk,search,ann,grpc,bdn},"
wants() { [[ "$sections" == *",$1,"* ]]; }
[ -d "$work/photos-$count" ] || "${bench[@]}" make-photos "$work/photos-$count" "$count"

if wants bulk; then
echo "## bulk embedding throughput (1.2 MP JPEGs, 2 workers): ArtMatch vs Node peer (sharp + onnxruntime-node)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The built program, not 'dotnet run' (which checks the build first), as node runs its script.
dll="$root/benchmarks/ArtMatch.Benchmarks/bin/Release/net10.0/ArtMatch.Benchmarks.dll"
ratios=()
for pair in $(seq 1 "$pairs"); do
  ours="$(dotnet "$dll" throughput "$work/photos-$count" 2 2 "$warmup")"
  peer="$(cd "$root/benchmarks/peer" && node embed-folder.mjs "$model" "$work/photos-$count" 2 2 "$warmup")"
  echo "pair $pair artmatch: $ours"
  echo "pair $pair node-peer: $peer"
  ratio=$(/usr/bin/python3 -c 'import json, sys; a, b = (json.loads(x)["images_per_second"] for x in sys.argv[1:]); print(f"{a / b:.2f}")' "$ours" "$peer")
  echo "pair $pair ratio artmatch/node-peer images/s: $ratio (load $(cut -d' ' -f1 /proc/loadavg))"
  ratios+=("$ratio")
done
echo "RATIO artmatch/node-peer bulk embedding images/s, median of $pairs pairs: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }') (each: ${ratios[*]}; 1.00 = as fast as the peer, higher = faster)"
fi

if wants search; then
echo "## exact search, $rows random unit vectors x 1280: ArtMatch vs FAISS IndexFlatIP"
"${bench[@]}" export-vectors "$work/vectors-$rows" "$rows" 200
echo "artmatch: $("${bench[@]}" search-timing "$work/vectors-$rows")"
echo "faiss: $(/usr/bin/python3 "$root/benchmarks/faiss_anchor.py" "$work/vectors-$rows/vectors.f32" "$work/vectors-$rows/queries.f32" 1280)"

fi

if wants ann; then
echo "## approximate search, $pictures pictures of the scale benchmark: ArtMatch's index vs FAISS and hnswlib on the same rows"
# The scale benchmark exports its rows (ranking space, float32), queries and exact answers; ann_peers.py
# indexes the same rows with FAISS (IVF int8 and float with ArtMatch's lists and probes, flat int8) and
# hnswlib, and prints one JSON line each (ArtMatch's own first). The exported rows are removed afterwards.
"${bench[@]}" scale --pictures "$pictures" "${scale_extra[@]}" --export "$work/scale-$pictures" --json >/dev/null
/usr/bin/python3 "$root/benchmarks/ann_peers.py" "$work/scale-$pictures"
"${bench[@]}" usearch "$work/scale-$pictures"   # Cloud.Unum.USearch: HNSW over int8 rows (UsearchPeer.cs)
rm -f "$work/scale-$pictures/rows.f32"

fi

if wants grpc; then
echo "## gRPC load: Match of a 1 MP photo, demo catalogue"
# A free port (other worktrees run benchmarks and tests at the same time); grpc-load waits until
# the server's health reports artmatch.v1.ArtMatch SERVING (the catalogue loaded).
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$root/artmatch" serve --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 1
done
photo="$(ls "$work/photos-$count"/*.jpg | head -1)"
for clients in 1 4 16; do
  echo "clients $clients: $("${bench[@]}" grpc-load "localhost:$port" "$photo" $clients $seconds)"
done
kill $server 2>/dev/null || true
fi

if [ "$mode" != "quick" ] && wants bdn; then
  echo "## BenchmarkDotNet"
  "${bench[@]}" --filter "${BENCH_FILTER:-*}" --memory --exporters markdown
fi
