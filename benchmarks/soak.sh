#!/usr/bin/env bash
# Soak and crash test of 'artmatch serve' (issue 16), loopback only, python3-grpcio clients.
#   1. CLIENTS (32) Match clients for SECONDS (60) against a copy of the demo store: errors other
#      than RESOURCE_EXHAUSTED, p50/p99 of admitted calls, RSS after the first minute (or half) and at the end.
#   2. KILLS (20) kill -9 of the server at random points while WRITERS (8) upsert small objects:
#      every acknowledged write must be there after restart, the store must open, the audit chain verify.
# Usage: benchmarks/soak.sh [SECONDS] [CLIENTS] [KILLS] [WRITERS]   (SOAK_WARMUP=5 Match calls before the clock; 0 = from cold)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"; cd "$root"
seconds=${1:-60}; clients=${2:-32}; kills=${3:-20}; writers=${4:-8}; warmup=${SOAK_WARMUP:-5}
work=$(mktemp -d); server=""
trap '[ -n "$server" ] && kill -9 $server 2>/dev/null; rm -rf "$work"' EXIT
[ -f .demo-store/catalog.db ] || { echo "no .demo-store: run ./artmatch serve once to make it"; exit 1; }
./artmatch --help >/dev/null  # build first, so start-up below is the server's only
cli=(dotnet src/ArtMatch.Cli/bin/Release/net10.0/artmatch.dll)
mkdir -p "$work/store"; cp .demo-store/catalog.db "$work/store/"
officer=$("${cli[@]}" keys add --file "$work/keys.json" --role officer --name soak-officer --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
partner=$("${cli[@]}" keys add --file "$work/keys.json" --role partner --name soak-writer --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
photos=(../shared/eval/dev/catalog/*/1.jpg); photo=${photos[0]}  # a glob, not ls | head: with pipefail, ls killed by SIGPIPE stopped the script

start() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${cli[@]}" serve --store "$work/store" --port "$port" --keys "$work/keys.json" --host 127.0.0.1 >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do grep -q "ArtMatch serving" "$work/serve.log" 2>/dev/null && return; sleep 0.5; done
  echo "server did not come up"; cat "$work/serve.log"; exit 1
}

echo "## soak: $clients clients x ${seconds}s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
start
/usr/bin/python3 - "$port" "$server" "$officer" "$photo" "$seconds" "$clients" "$warmup" <<'PY'
import grpc, sys, time, threading, os
port, pid, key, photo, seconds, clients, warmup = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
data = open(photo, "rb").read()
def varint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7; out += bytes([b | (0x80 if n else 0)])
        if not n: return out
req = b"\x0a" + varint(len(data)) + data
def rss(): return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0]) / 1024
lat, refused, errors, lock = [], 0, {}, threading.Lock()
until = time.time() + seconds; mark = min(60.0, seconds / 2); rss_mark = [None]
def client():
    global refused
    ch = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)])
    match = ch.unary_unary("/artmatch.v1.ArtMatch/Match", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    while time.time() < until:
        t = time.time()
        try:
            match(req, timeout=60, metadata=[("authorization", "Bearer " + key)])
            with lock: lat.append(time.time() - t)
        except grpc.RpcError as e:
            with lock:
                if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED: refused += 1
                else: errors[e.code().name] = errors.get(e.code().name, 0) + 1
            if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED: time.sleep(0.1)
# Warm-up, as the bulk benchmark does: a few Match calls one at a time before the clock starts, so the
# percentiles are the steady state's and not the first calls' JIT compilation and model start-up.
warm = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)])
warm_lat = []
for _ in range(warmup):
    t = time.time()
    warm.unary_unary("/artmatch.v1.ArtMatch/Match", request_serializer=lambda b: b, response_deserializer=lambda b: b)(
        req, timeout=120, metadata=[("authorization", "Bearer " + key)])
    warm_lat.append(time.time() - t)
if warm_lat: print("warm-up Match ms, one at a time: " + " ".join(f"{x * 1000:.0f}" for x in warm_lat), flush=True)
until = time.time() + seconds
threads = [threading.Thread(target=client) for _ in range(clients)]
start = time.time(); [t.start() for t in threads]
time.sleep(mark); rss_mark[0] = rss()
[t.join() for t in threads]
end_rss = rss(); lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
print(f"admitted={len(lat)} refused={refused} other_errors={errors or 0} p50_ms={p(0.5):.0f} p99_ms={p(0.99):.0f} "
      f"p99/p50={p(0.99)/p(0.5):.2f} rss_at_{mark:.0f}s_mb={rss_mark[0]:.0f} rss_end_mb={end_rss:.0f} growth={end_rss/rss_mark[0]:.2f}")
PY
kill -9 $server; wait $server 2>/dev/null || true; server=""

echo "## crash: $kills x kill -9 during $writers writers"
: >"$work/acked"
for round in $(seq 1 "$kills"); do
  start
  /usr/bin/python3 - "$port" "$partner" "$writers" "$round" "$work/acked" <<'PY' &
import grpc, sys, threading
port, key, writers, rnd, acked = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def s(field, text):
    b = text.encode(); return bytes([field << 3 | 2]) + bytes([len(b)]) + b
def writer(w):
    ch = grpc.insecure_channel(f"127.0.0.1:{port}")
    up = ch.unary_unary("/artmatch.v1.ArtMatch/UpsertObject", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    n = 0
    while True:
        oid = f"SOAK-{rnd}-{w}-{n}"; obj = s(1, oid) + s(8, "soak " + oid)
        try:
            up(bytes([0x0a, len(obj)]) + obj, timeout=10, metadata=[("authorization", "Bearer " + key)])
        except grpc.RpcError:
            return
        with open(acked, "a") as f: f.write(oid + "\n")
        n += 1
ts = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
  writers_pid=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 2.0), 2))')"
  kill -9 $server; wait $server 2>/dev/null || true; server=""
  wait $writers_pid 2>/dev/null || true
done
start
lost=$(/usr/bin/python3 - "$port" "$officer" "$work/acked" <<'PY'
import grpc, sys
port, key, acked = sys.argv[1], sys.argv[2], sys.argv[3]
ch = grpc.insecure_channel(f"127.0.0.1:{port}")
get = ch.unary_unary("/artmatch.v1.ArtMatch/GetObject", request_serializer=lambda b: b, response_deserializer=lambda b: b)
lost = 0
for oid in open(acked).read().split():
    b = oid.encode()
    try: get(b"\x0a" + bytes([len(b)]) + b, timeout=10, metadata=[("authorization", "Bearer " + key)])
    except grpc.RpcError: lost += 1
print(lost)
PY
)
kill $server; wait $server 2>/dev/null || true; server=""
verify=$("${cli[@]}" audit verify --store "$work/store" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("valid=%s entries=%s" % (d["valid"], d["entries"]))' || echo "valid=False")
echo "acknowledged=$(wc -l <"$work/acked") lost=$lost store_opens=yes audit $verify"
