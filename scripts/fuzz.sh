#!/usr/bin/env bash
# Fuzzes the HTTP/1 framers, then the HTTP/2 framers, with Jazzer for a while each (default 10
# minutes); new crashing inputs land in netra-sidecar/src/test/resources/.../*FuzzTestInputs and
# then run in every test run.
# usage: scripts/fuzz.sh [DURATION]   e.g. 30m
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
find_java
cd "$NETRA_ROOT"
mvn -B -ntp -q install -DskipTests -pl netra-ffm
for test in HttpFuzzTest Http2FuzzTest; do
  JAZZER_FUZZ=1 mvn -B -ntp -pl netra-sidecar test -Dtest="$test" \
    -Djazzer.max_duration="${1:-10m}" -Dsurefire.failIfNoSpecifiedTests=false
done
