#!/usr/bin/env bash
# Every test of netra: unit tests, then the integration tests against the images users run.
# Installs what it needs on a fresh machine (as root) and starts dockerd when none answers.
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
cd "$NETRA_ROOT"

[ "$(id -u)" -eq 0 ] || die "scripts/test.sh needs root (network namespaces, iptables, Docker)"
ensure_commands mvn:maven ip:iproute2 iptables:iptables setpriv:util-linux debootstrap:debootstrap prometheus:prometheus curl:curl
ensure_docker
find_java

log "unit tests and jars"
mvn -B -ntp install
collect_jars

log "launcher: a bad heap setting stops start-up with a message naming it"
if out=$(NETRA_MAX_HEAP=12m "$NETRA_ROOT/bin/netra" sidecar --service-name t 2>&1); then
  die "bin/netra sidecar started with NETRA_MAX_HEAP=12m"
fi
grep -q 'NETRA_MAX_HEAP=12m' <<<"$out" || die "bin/netra did not name NETRA_MAX_HEAP: $out"

log "launcher: with native memory tracking on and no AOT cache yet, the sidecar starts and reports it;"
log "  what interrupted AOT recordings left behind is cleared, never mapped as the cache"
nmt_cache=$(mktemp -u /tmp/netra-nmt-XXXXXX.aot)
dead_pid=$(cat /proc/sys/kernel/pid_max) # never a live process id
head -c 100000 /dev/urandom >"$nmt_cache.rec-$dead_pid.config"         # stopped while writing its training data
head -c 100000 /dev/urandom >"$nmt_cache.rec-$((dead_pid - 1))"        # stopped while writing the cache
head -c 100000 /dev/urandom >"$nmt_cache.rec-$((dead_pid - 1)).config"
NETRA_AOT_CACHE=$nmt_cache NETRA_JAVA_OPTS=-XX:NativeMemoryTracking=summary NETRA_PORT=24956 \
  NETRA_PPROF_PORT=24957 NETRA_PROMETHEUS_PORT=24958 \
  "$NETRA_ROOT/bin/netra" sidecar --service-name t >/tmp/netra-nmt.log 2>&1 &
nmt_pid=$!
nmt_seen=no
for _ in $(seq 1 100); do
  if curl -sf http://127.0.0.1:24958/metrics 2>/dev/null | grep -q '^jvm_native_memory_committed_bytes'; then
    nmt_seen=yes
    break
  fi
  sleep 0.1
done
kill "$nmt_pid" 2>/dev/null; wait "$nmt_pid" || true
aot_left=$(ls "$nmt_cache"* 2>/dev/null || true)
rm -f "$nmt_cache"*
[ "$nmt_seen" = yes ] || die "sidecar with NMT on: no jvm_native_memory metrics within 10 s ($(tail -3 /tmp/netra-nmt.log))"
[ -z "$aot_left" ] || die "bin/netra kept or published partial AOT recordings: $aot_left"

log "demo (network namespaces, no Docker)"
"$NETRA_ROOT/bin/netra" demo | tee /tmp/netra-demo.out
grep -q '^  OK echo conns=4' /tmp/netra-demo.out || die "demo: the client's echo check failed"
grep -q 'original destination \[fd77::2\]:8080' /tmp/netra-demo.out || die "demo: IPv6 was not intercepted"
grep -q '^client sidecar: outbound connections [1-9]' /tmp/netra-demo.out || die "demo: the client sidecar saw nothing"

log "netra init against a real nat table (network namespace)"
"$NETRA_ROOT/scripts/test-init.sh"

log "images (base image cached by tag)"
"$NETRA_ROOT/scripts/build-images.sh" dev

log "integration tests: containers as pods"
export TESTCONTAINERS_RYUK_DISABLED=true
mvn -B -ntp -pl it-tests test -Dnetra.it.skip=false -Dnetra.image.tag=dev
