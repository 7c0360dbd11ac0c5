#!/usr/bin/env bash
# What bounds the cascade's gRPC throughput against --full (issue 15): the load mix of benchmarks/run.sh
# (grpc section) served by --full, the default cascade and cascades that never run some stages, each on
# its own copy of the demo store, all running at once and called in turn, 4 clients by default.
# A cascade that never runs a stage answers with what the stages before it found: these are upper
# bounds of what a stopping rule could win, not products.
# Usage: benchmarks/cascade_bounds.sh   (after `BENCH_SECTIONS=grpc benchmarks/run.sh` built the mix and
#   the store); CLIENTS=4 SECONDS_EACH=20 ROUNDS=2 BOUNDS="full default keypoints+turns keypoints+regions keypoints none"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fx="$root/benchmarks/.fixtures"
[ -f "$fx/load-store.done" ] && [ -f "$fx/load-mix/.done" ] || { echo "no load mix or store: run BENCH_SECTIONS=grpc benchmarks/run.sh first" >&2; exit 1; }
clients="${CLIENTS:-4}"; seconds="${SECONDS_EACH:-20}"; rounds="${ROUNDS:-2}"
bounds=(${BOUNDS:-full default keypoints+turns keypoints+regions keypoints none})
dotnet build -c Release "$root/benchmarks/ArtMatch.Benchmarks" --nologo -v quiet -clp:ErrorsOnly >&2
"$root/artmatch" --help >/dev/null  # builds the CLI once, before six servers start at once
bench=(dotnet "$root/benchmarks/ArtMatch.Benchmarks/bin/Release/net10.0/ArtMatch.Benchmarks.dll")
tmp="$(mktemp -d)"; pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A port
for b in "${bounds[@]}"; do
  case "$b" in
    full) options=(--full) ;;
    default) options=() ;;
    none) echo '{"match":{"cascade":{"escalation":[]}}}' > "$tmp/$b.json"; options=(--config "$tmp/$b.json") ;;
    *) /usr/bin/python3 -c 'import json, sys; print(json.dumps({"match": {"cascade": {"escalation": sys.argv[1].split("+")}}}))' "$b" > "$tmp/$b.json"
       options=(--config "$tmp/$b.json") ;;
  esac
  cp -r "$fx/load-store" "$tmp/store-$b"
  port[$b]=$(free_port)
  "$root/artmatch" serve --port "${port[$b]}" --host localhost --keys "$fx/load-keys.json" --store "$tmp/store-$b" "${options[@]}" >"$tmp/serve-$b.log" 2>&1 &
  pids+=($!)
  "${bench[@]}" grpc-load "localhost:${port[$b]}" "$fx/load-mix" 1 0 "$fx/load-key-one.txt" >/dev/null
done
for round in $(seq "$rounds"); do
  declare -A rps=()
  for b in "${bounds[@]}"; do
    out=$("${bench[@]}" grpc-load "localhost:${port[$b]}" "$fx/load-mix" "$clients" "$seconds" "$fx/load-keys.txt")
    rps[$b]=$(/usr/bin/python3 -c 'import json, sys; print(round(json.loads(sys.argv[1])["requests_per_second"], 2))' "$out")
    echo "round $round $b: $out (load $(cut -d' ' -f1 /proc/loadavg))"
  done
  [ -n "${rps[full]:-}" ] && for b in "${bounds[@]}"; do
    echo "round $round $b / full: $(/usr/bin/python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "${rps[$b]}" "${rps[full]}")x"
  done
done
