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
echo "## gRPC load: Match of a mix of photos, demo catalogue, the cascade and --full interleaved"
# The mix (benchmarks/.fixtures/load-mix): every query photo of the dev set whose object is in the demo
# catalogue (13: occlusion, detail crops, photos pasted into scenes, greyscale, perspective, blur) and
# the dev set's first innocent photos (kind distractor) at the dev set's own proportion (about one
# innocent photo to two of catalogued objects: 7); each call sends the next photo of the mix.
# Two servers on free ports (other worktrees run benchmarks at the same time), one cascade, one --full,
# each on its own copy of the store; each client count runs on both, back to back.
mix="$work/load-mix"
if [ ! -f "$mix/.done" ]; then
  rm -rf "$mix"; mkdir -p "$mix"
  /usr/bin/python3 - "$root" "$mix" <<'PY'
import csv, os, shutil, sys
root, mix = sys.argv[1:]
dev = os.path.normpath(os.path.join(root, "..", "shared", "eval", "dev"))
demo = {row["image"].split("/")[-2] for row in csv.DictReader(open(os.path.join(root, "demo", "catalog.csv")))}
queries = list(csv.DictReader(open(os.path.join(dev, "queries.csv"))))
found = [q for q in queries if q["expected_object_id"] in demo]
innocent = [q for q in queries if q["kind"] == "distractor"][: (len(found) + 1) // 2]
for i, q in enumerate(found):
    shutil.copy(os.path.join(dev, q["query"]), os.path.join(mix, f"catalogued-{i:02d}.jpg"))
for i, q in enumerate(innocent):
    shutil.copy(os.path.join(dev, q["query"]), os.path.join(mix, f"innocent-{i:02d}.jpg"))
print(f"load mix: {len(found)} photos of catalogued objects, {len(innocent)} innocent photos", file=sys.stderr)
PY
  touch "$mix/.done"
fi
echo "mix: $(ls "$mix" | grep -c '^catalogued-') photos of catalogued objects, $(ls "$mix" | grep -c '^innocent-') innocent (dev distractors)"
# The demo catalogue imported into a store of its own (serve's own demo import refuses its pictures,
# which lie outside demo/: it serves an empty catalogue), one copy per server.
store="$work/load-store"
if [ ! -f "$work/load-store.done" ]; then
  rm -rf "$store"
  "$root/artmatch" import --store "$store" --catalog "$root/demo/catalog.csv" --allow-outside --json >/dev/null
  touch "$work/load-store.done"
fi
rm -rf "$store-full"; cp -r "$store" "$store-full"
# Sixteen officer keys: each client presents its own (as sixteen officers: admission control gives each
# caller its share), and a second pass where every client presents the first key (one caller, whose
# share is smaller than the server's queue: the extra calls are refused and retried after 100 ms).
keys_json="$work/load-keys.json"; keys_each="$work/load-keys.txt"; keys_one="$work/load-key-one.txt"
/usr/bin/python3 - "$keys_json" "$keys_each" "$keys_one" <<'PY'
import json, sys
keys = [f"load-officer-{i:02d}-0123456789abcdef" for i in range(16)]
json.dump({"keys": [{"key": k, "name": f"officer-{i}", "role": "officer"} for i, k in enumerate(keys)]}, open(sys.argv[1], "w"))
open(sys.argv[2], "w").write("\n".join(keys) + "\n")
open(sys.argv[3], "w").write(keys[0] + "\n")
PY
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
servers=()
trap 'for s in "${servers[@]}"; do kill $s 2>/dev/null || true; done' EXIT
start_server() { # $1 port, rest: extra serve options; waits until Match answers (grpc-load waits for SERVING)
  "$root/artmatch" serve --port "$1" --host localhost --keys "$keys_json" "${@:2}" >/dev/null 2>&1 &
  servers+=($!)
  "${bench[@]}" grpc-load "localhost:$1" "$mix" 1 0 "$keys_one" >/dev/null
}
port_cascade=$(free_port); start_server "$port_cascade" --store "$store"
port_full=$(free_port); start_server "$port_full" --store "$store-full" --full
for callers in each one; do
  [ "$callers" = each ] && keys="$keys_each" || keys="$keys_one"
  for clients in 1 4 16; do
    cascade=$("${bench[@]}" grpc-load "localhost:$port_cascade" "$mix" $clients $seconds "$keys")
    full=$("${bench[@]}" grpc-load "localhost:$port_full" "$mix" $clients $seconds "$keys")
    echo "clients $clients ($callers key) cascade: $cascade (load $(cut -d' ' -f1 /proc/loadavg))"
    echo "clients $clients ($callers key) full:    $full"
    echo "clients $clients ($callers key) requests/s cascade/full: $(/usr/bin/python3 -c 'import json, sys; a, b = (json.loads(x)["requests_per_second"] for x in sys.argv[1:]); print(f"{a / b:.2f}")' "$cascade" "$full")"
  done
done
for s in "${servers[@]}"; do kill $s 2>/dev/null || true; done
fi

if [ "$mode" != "quick" ] && wants bdn; then
  echo "## BenchmarkDotNet"
  "${bench[@]}" --filter "${BENCH_FILTER:-*}" --memory --exporters markdown
fi
