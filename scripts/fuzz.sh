#!/usr/bin/env bash
# Fuzzes the HTTP/1 framers with Jazzer for a while (default 10 minutes); new crashing inputs
# land in netra-sidecar/src/test/resources/.../HttpFuzzTestInputs and then run in every test run.
# usage: scripts/fuzz.sh [DURATION]   e.g. 30m
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
find_java
cd "$NETRA_ROOT"
mvn -B -ntp -q install -DskipTests -pl netra-ffm
JAZZER_FUZZ=1 mvn -B -ntp -pl netra-sidecar test -Dtest=HttpFuzzTest \
  -Djazzer.max_duration="${1:-10m}" -Dsurefire.failIfNoSpecifiedTests=false
