#!/usr/bin/env bash
# JMH benchmarks of the hot path (HTTP head parsing, a whole exchange through the framers, a gRPC
# call through the HTTP/2 framers, the opaque copy step, a batch of spans encoded as OTLP), with
# the GC profiler:
# gc.alloc.rate.norm is bytes allocated per operation.
# usage: scripts/jmh.sh [JMH ARGS]   (default: every benchmark, -prof gc)
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
find_java
cd "$NETRA_ROOT"
mvn -B -ntp -q install -DskipTests -pl netra-ffm,netra-sidecar,netra-bench
exec "$JAVA_HOME/bin/java" -jar netra-bench/target/netra-bench.jar -prof gc "$@"
