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

log "launcher: heap setting, AOT cache made and trusted, NMT, stop and start again at once"
"$NETRA_ROOT/scripts/test-launcher.sh"

log "demo (network namespaces, no Docker)"
"$NETRA_ROOT/bin/netra" demo | tee /tmp/netra-demo.out
grep -q '^  OK echo conns=4' /tmp/netra-demo.out || die "demo: the client's echo check failed"
grep -q 'original destination \[fd77::2\]:8080' /tmp/netra-demo.out || die "demo: IPv6 was not intercepted"
grep -q '^client sidecar: outbound connections [1-9]' /tmp/netra-demo.out || die "demo: the client sidecar saw nothing"

log "netra init against a real nat table (network namespace)"
"$NETRA_ROOT/scripts/test-init.sh"

log "k8s/: the install and the example build with kustomize (every manifest parses: ManifestsInRepositoryTest)"
ensure_commands kubectl:kubernetes-client
for dir in k8s k8s/example; do
  out=$(kubectl kustomize "$NETRA_ROOT/$dir" 2>&1) || die "kubectl kustomize $dir: $out"
  grep -q '^kind: Deployment' <<<"$out" || die "kubectl kustomize $dir produced no Deployment"
done

log "images (base image cached by tag)"
"$NETRA_ROOT/scripts/build-images.sh" dev

log "integration tests: containers as pods"
export TESTCONTAINERS_RYUK_DISABLED=true
mvn -B -ntp -pl it-tests test -Dnetra.it.skip=false -Dnetra.image.tag=dev
