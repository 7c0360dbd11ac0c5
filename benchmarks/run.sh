#!/usr/bin/env bash
# Runs ArtMatch's benchmarks and its peers on the same files, on this machine, one after another.
# Usage: benchmarks/run.sh [quick]   ("quick" = a CI smoke: tiny sizes, no BenchmarkDotNet)
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
  count=8; rows=2000; seconds=3; pictures=1000; scale_extra=(--approximate-above 0)
else
  count=200; rows=100000; seconds=20; pictures=10000; scale_extra=()
fi

echo "## bulk embedding throughput (1.2 MP JPEGs, 2 workers): ArtMatch vs Node peer (sharp + onnxruntime-node)"
[ -d "$work/photos-$count" ] || "${bench[@]}" make-photos "$work/photos-$count" "$count"
echo "artmatch: $("${bench[@]}" throughput "$work/photos-$count" 2 2)"
echo "node-peer: $(cd "$root/benchmarks/peer" && node embed-folder.mjs "$model" "$work/photos-$count" 2 2)"

echo "## exact search, $rows random unit vectors x 1280: ArtMatch vs FAISS IndexFlatIP"
"${bench[@]}" export-vectors "$work/vectors-$rows" "$rows" 200
echo "artmatch: $("${bench[@]}" search-timing "$work/vectors-$rows")"
echo "faiss: $(/usr/bin/python3 "$root/benchmarks/faiss_anchor.py" "$work/vectors-$rows/vectors.f32" "$work/vectors-$rows/queries.f32" 1280)"

echo "## approximate search, $pictures pictures of the scale benchmark: ArtMatch's index vs FAISS and hnswlib on the same rows"
# The scale benchmark exports its rows (ranking space, float32), queries and exact answers; ann_peers.py
# indexes the same rows with FAISS (IVF int8 and float with ArtMatch's lists and probes, flat int8) and
# hnswlib, and prints one JSON line each (ArtMatch's own first). The exported rows are removed afterwards.
"${bench[@]}" scale --pictures "$pictures" "${scale_extra[@]}" --export "$work/scale-$pictures" --json >/dev/null
/usr/bin/python3 "$root/benchmarks/ann_peers.py" "$work/scale-$pictures"
rm -f "$work/scale-$pictures/rows.f32"

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

if [ "$mode" != "quick" ]; then
  echo "## BenchmarkDotNet"
  "${bench[@]}" --filter "${BENCH_FILTER:-*}" --memory --exporters markdown
fi
