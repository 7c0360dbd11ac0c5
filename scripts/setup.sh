#!/usr/bin/env bash
# One idempotent setup for a fresh Debian 12 machine with the .NET SDK:
#   1. Debian packages (poppler-utils, the test peers python3-grpcio, faiss),
#   2. every model named by models/*.json, copied from ../shared/models or downloaded upstream,
#      each checked against its sha256,
#   3. npm packages for the test and benchmark peers.
# ONNX Runtime and libvips come with their NuGet packages (Microsoft.ML.OnnxRuntime, NetVips.Native)
# when dotnet restores: nothing native is installed here for them.
# Nothing binary is committed; all of it lands in ignored folders.
# --runtime installs what serving needs only (no test peers: the Docker image uses it).
set -euo pipefail
runtime_only=0
[ "${1:-}" = "--runtime" ] && runtime_only=1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model_dir="$root/.models"

log() { printf '[setup] %s\n' "$*" >&2; }

install_apt_packages() {
  # poppler-utils: pdfimages pulls the photos out of PDF auction catalogues for screening.
  local wanted=(poppler-utils python3)
  # The test peers, and Debian's docker-compose (the tests validate docker-compose.yml with it; no engine needed).
  [ "$runtime_only" -eq 1 ] || wanted+=(python3-grpcio python3-grpc-tools python3-protobuf python3-numpy python3-pil python3-faiss docker-compose)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt packages present"
    return
  fi
  log "installing apt packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Reads one string field of a flat JSON manifest without needing jq.
manifest_field() {
  python3 - "$1" "$2" <<'PY'
import json, sys
print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))
PY
}

install_models() {
  mkdir -p "$model_dir"
  local manifest
  for manifest in "$root"/models/*.json; do
    local file sha url target
    file="$(manifest_field "$manifest" file)"
    sha="$(manifest_field "$manifest" sha256)"
    url="$(manifest_field "$manifest" url)"
    target="$model_dir/$file"
    if [ -f "$target" ] && [ "$(sha256_of "$target")" = "$sha" ]; then
      log "model $file present"
      continue
    fi
    local shared="$root/../shared/models/$file"
    if [ -f "$shared" ]; then
      log "copying model $file from ../shared/models"
      cp "$shared" "$target.part"
    elif [ -n "$url" ]; then
      log "downloading model $file from $url"
      curl -fsSL --retry 3 -o "$target.part" "$url"
    else
      log "model $file: not in ../shared/models and the manifest names no url"
      exit 1
    fi
    local got
    got="$(sha256_of "$target.part")"
    if [ "$got" != "$sha" ]; then
      rm -f "$target.part"
      log "model $file sha256 mismatch: expected $sha, got $got"
      exit 1
    fi
    mv "$target.part" "$target"
  done
}

# npm packages for the test peers: the @grpc/grpc-js interop client, and the Node benchmark peer
# (benchmarks/peer/package.json: sharp and ONNX Runtime's Node binding, a peer to compare with, not
# ArtMatch's runtime; --ignore-scripts skips its CUDA download, the CPU binary ships in the package).
install_node_packages() {
  if ! command -v npm >/dev/null; then
    log "npm not found: install Node.js (Debian: apt-get install nodejs npm) for the interop tests"
    exit 1
  fi
  local dir
  for dir in "$root/tests/ArtMatch.Server.Tests/Interop" "$root/tests/ArtMatch.Grpc.Tests/Interop" "$root/benchmarks/peer"; do
    if [ -d "$dir/node_modules" ] && [ "$dir/node_modules" -nt "$dir/package.json" ]; then
      continue
    fi
    log "npm install in ${dir#$root/}"
    (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$dir/node_modules"
  done
  log "node packages present"
}

install_apt_packages
install_models
[ "$runtime_only" -eq 1 ] || install_node_packages
log "done"
