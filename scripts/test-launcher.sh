#!/usr/bin/env bash
# bin/netra sidecar as users start it, in a network namespace of its own (free of other runs'
# ports): a bad heap setting is named; `netra aot` writes a complete cache and nothing partial;
# a cache another user could have written is never mapped; with native memory tracking on the
# sidecar starts; and a sidecar stopped and started again at once in the same namespace binds its
# ports every time, ten times in a row, with a cache, without one, and with one not made yet.
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
[ "$(id -u)" -eq 0 ] || die "needs root"
NS=netra-launcher-test-$$
WORK=$(mktemp -d /tmp/netra-launcher-test.XXXXXX)
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
cleanup() {
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "test-launcher: FAIL: $*" >&2; exit 1; }
passed=0
pass() { passed=$((passed + 1)); echo "  ok: $*"; }
in_ns() { ip netns exec "$NS" "$@"; } # not for &: a function in the background is a subshell, and $! its pid
# HTTP status of the sidecar's admin path inside the namespace, 000 when nothing answers
admin() { in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:14958$1" || true; }
await_ready() { # deadline 20 s
  local _
  for _ in $(seq 1 200); do
    [ "$(admin /ready)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

if out=$(NETRA_MAX_HEAP=12m "$NETRA_ROOT/bin/netra" sidecar --service-name t 2>&1); then
  fail "bin/netra sidecar started with NETRA_MAX_HEAP=12m"
fi
grep -q 'NETRA_MAX_HEAP=12m' <<<"$out" || fail "bin/netra did not name NETRA_MAX_HEAP: $out"
pass "a bad NETRA_MAX_HEAP is named"

cache=$WORK/cache/netra-sidecar.aot
in_ns env NETRA_AOT_CACHE="$cache" "$NETRA_ROOT/bin/netra" aot 2>"$WORK/aot.log" || fail "netra aot: $(tail -5 "$WORK/aot.log")"
[ -s "$cache" ] || fail "netra aot wrote no cache"
left=$(find "$WORK/cache" -mindepth 1 ! -name netra-sidecar.aot)
[ -z "$left" ] || fail "netra aot left files behind: $left"
[ "$(stat -c %a "$WORK/cache")" = 700 ] || fail "the cache directory is not private: $(stat -c %a "$WORK/cache")"
pass "netra aot: one complete cache in a private directory, nothing else"

chmod 666 "$cache"
out=$(in_ns env NETRA_AOT_CACHE="$cache" NETRA_JAVA_OPTS=-Xlog:aot=info "$NETRA_ROOT/bin/netra" sidecar --help 2>&1)
grep -q 'not mapping the AOT cache' <<<"$out" || fail "a cache others may write was not refused: $out"
grep -q 'Using AOT-linked classes: true' <<<"$out" && fail "a cache others may write was mapped"
chmod 644 "$cache"
chown 4242 "$cache"
out=$(in_ns env NETRA_AOT_CACHE="$cache" NETRA_JAVA_OPTS=-Xlog:aot=info "$NETRA_ROOT/bin/netra" sidecar --help 2>&1)
grep -q 'not mapping the AOT cache' <<<"$out" || fail "another user's cache was not refused: $out"
chown 0 "$cache"
out=$(in_ns env NETRA_AOT_CACHE="$cache" NETRA_JAVA_OPTS=-Xlog:aot=info "$NETRA_ROOT/bin/netra" sidecar --help 2>&1)
grep -q 'Using AOT-linked classes: true' <<<"$out" || fail "the user's own cache was not mapped: $(grep -i aot <<<"$out" | head -5)"
pass "a cache owned by another user, or writable by others, is not mapped; the user's own is"

ip netns exec "$NS" env NETRA_AOT_CACHE=off NETRA_JAVA_OPTS=-XX:NativeMemoryTracking=summary \
  "$NETRA_ROOT/bin/netra" sidecar --service-name t >"$WORK/nmt.log" 2>&1 &
pid=$!
await_ready || fail "sidecar with NMT on did not become ready: $(tail -3 "$WORK/nmt.log")"
nmt=no
for _ in $(seq 1 100); do
  in_ns curl -sf http://127.0.0.1:14958/metrics | grep -q '^jvm_native_memory_committed_bytes' && { nmt=yes; break; }
  sleep 0.1
done
kill -TERM "$pid"; wait "$pid" || fail "the NMT sidecar exited with $?"
[ "$nmt" = yes ] || fail "sidecar with NMT on: no jvm_native_memory metrics within 10 s"
pass "native memory tracking on: the sidecar starts and reports it"

# off, a cache, and a cache not made yet (a serving sidecar must not record one as it exits)
mkdir -m 700 "$WORK/unmade"
for mode in off "$cache" "$WORK/unmade/netra-sidecar.aot"; do
  prev=
  for i in $(seq 1 10); do
    if [ -n "$prev" ]; then
      kill -TERM "$prev" # and start the next one at once: the ports must be free by the time it binds
    fi
    ip netns exec "$NS" env NETRA_AOT_CACHE="$mode" "$NETRA_ROOT/bin/netra" sidecar --service-name restart >"$WORK/restart-$i.log" 2>&1 &
    pid=$!
    if [ -n "$prev" ]; then
      wait "$prev" || fail "restart $i (cache $mode): the stopped sidecar exited with $?: $(tail -3 "$WORK/restart-$((i - 1)).log")"
    fi
    await_ready || fail "restart $i (cache $mode): the new sidecar did not become ready: $(tail -5 "$WORK/restart-$i.log")"
    kill -0 "$pid" 2>/dev/null || fail "restart $i (cache $mode): the new sidecar exited: $(tail -5 "$WORK/restart-$i.log")"
    prev=$pid
  done
  kill -TERM "$prev"; wait "$prev" || fail "the last sidecar exited with $?"
  left=$(find "$WORK/cache" "$WORK/unmade" -mindepth 1 ! -path "$cache")
  [ -z "$left" ] || fail "serving sidecars wrote files beside the cache: $left"
  pass "stopped and started again at once, 10 times in a row (cache: $mode)"
done
echo "test-launcher: $passed passed, 0 failed"
