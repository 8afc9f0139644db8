#!/usr/bin/env bash
# Every test of netra, lane by lane: the fast lane first (unit tests, fuzz corpus, docs checks:
# what `mvn -B verify` runs without root or Docker), then the privileged lanes (the launcher,
# the demo, HTTP/2 and gRPC peers, netra-init in a network namespace, the Kubernetes manifests, the images and the
# containers-as-pods scenarios). Each lane has a header; a summary at the end gives each lane's
# tests passed and failed and its time. Installs what it needs on a fresh machine (as root) and
# starts dockerd when none answers.
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
cd "$NETRA_ROOT"

[ "$(id -u)" -eq 0 ] || die "scripts/test.sh needs root (network namespaces, iptables, Docker); without: mvn -B verify"
ensure_commands mvn:maven ip:iproute2 iptables:iptables setpriv:util-linux debootstrap:debootstrap prometheus:prometheus curl:curl
ensure_docker
find_java

RUN=$(mktemp -d /tmp/netra-test.XXXXXX) # this run's logs: two runs on one machine do not mix theirs
SUMMARY=()
FAILED=0

# lane NAME COMMAND...: runs COMMAND with its output shown and kept in $RUN/NAME.log, then counts
# its tests from that log (Surefire's totals, or a script's "N passed, N failed"), or 1 by its status.
lane() {
  local name=$1 start=$SECONDS status=0 passed failed
  shift
  printf '\n==================== lane: %s ====================\n' "$name" >&2
  "$@" 2>&1 | tee "$RUN/$name.log" || status=$?
  read -r passed failed < <(count "$RUN/$name.log" "$status")
  SUMMARY+=("$(printf '%-12s %6s passed %4s failed %6ss' "$name" "$passed" "$failed" $((SECONDS - start)))")
  if [ "$status" -ne 0 ]; then
    FAILED=1
    echo "lane $name FAILED (exit $status); its log: $RUN/$name.log" >&2
  fi
  return "$status"
}

count() { # LOG STATUS -> "passed failed"
  local totals
  totals=$(sed -n 's/^\[[A-Z]*\] Tests run: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\), Skipped: [0-9]*$/\1 \2 \3/p' "$1" \
    | awk '{run += $1; bad += $2 + $3} END {if (NR) print run - bad, bad}')
  if [ -z "$totals" ]; then
    totals=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$1" | tail -1)
  fi
  if [ -z "$totals" ]; then
    if [ "$2" -eq 0 ]; then totals="1 0"; else totals="0 1"; fi
  fi
  echo "$totals"
}

summary() {
  local line passed=0 failed=0
  printf '\n==================== summary (logs in %s) ====================\n' "$RUN" >&2
  for line in "${SUMMARY[@]}"; do
    echo "$line" >&2
    read -r _ p _ f _ <<<"$line"
    passed=$((passed + p)); failed=$((failed + f))
  done
  echo "total: $passed passed, $failed failed"
}
trap summary EXIT

# The Kubernetes manifests build, and the alerting rules shipped beside them load in Prometheus.
kustomize() {
  ensure_commands kubectl:kubernetes-client promtool:prometheus
  local dir out checked=0
  for dir in k8s k8s/example; do
    out=$(kubectl kustomize "$NETRA_ROOT/$dir" 2>&1) || die "kubectl kustomize $dir: $out"
    grep -q '^kind: Deployment' <<<"$out" || die "kubectl kustomize $dir produced no Deployment"
    checked=$((checked + 1))
  done
  out=$(promtool check rules "$NETRA_ROOT/monitoring/alerts.yaml" 2>&1) || die "promtool check rules: $out"
  checked=$((checked + 1))
  echo "k8s: $checked passed, 0 failed"
}

scenarios() {
  "$NETRA_ROOT/scripts/build-images.sh" dev
  TESTCONTAINERS_RYUK_DISABLED=true mvn -B -ntp -pl it-tests test -Dnetra.it.skip=false -Dnetra.image.tag=dev
}

# The fast lane builds the jars every other lane uses: nothing else can run without it.
lane unit mvn -B -ntp install || exit 1
collect_jars
lane launcher "$NETRA_ROOT/scripts/test-launcher.sh" || true
# The demo is run as users run it, to its end; what it shows is checked by the mesh lane.
lane demo "$NETRA_ROOT/bin/netra" demo || true
lane mesh "$NETRA_ROOT/scripts/test-mesh.sh" || true
lane grpc "$NETRA_ROOT/scripts/test-grpc.sh" || true
lane init "$NETRA_ROOT/scripts/test-init.sh" || true
lane k8s kustomize || true
lane pods scenarios || true
exit "$FAILED"
