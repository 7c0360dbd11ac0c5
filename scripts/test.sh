#!/usr/bin/env bash
# Sets up (idempotent) and runs every test project, printing one plain closing line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup.sh
dotnet build ArtMatch.sln -c Release --nologo -v quiet -clp:ErrorsOnly
results="$root/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test ArtMatch.sln -c Release --no-build --nologo --logger "trx" --results-directory "$results" "$@" || status=$?
# One closing line summed over all test projects, in the form CI reads.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    root = ET.parse(path).getroot()
    # A test that could not run here says why (e.g. no QDRANT_URL): one visible line each, never a silent pass.
    for result in root.findall(".//{*}UnitTestResult"):
        if result.get("outcome") == "NotExecuted":
            skipped += 1   # the trx Counters leave skipped tests out of notExecuted
            reason = result.find(".//{*}Message")
            print(f"skipped: {result.get('testName')}: {reason.text if reason is not None else 'no reason given'}")
    counters = root.find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
