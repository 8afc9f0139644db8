#!/usr/bin/env bash
# Builds the images users run (netra-sidecar, netra-init, netra-injector) and the it-tests' netra-testapp,
# without any registry: a base image from a debootstrapped minimal Debian (built once, cached
# by tag) and a jlink'd Java 25 runtime holding only the modules netra uses.
# usage: scripts/build-images.sh [TAG]   (default: dev)
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
TAG=${1:-dev}
[ "$(id -u)" -eq 0 ] || die "building the base image needs root (debootstrap)"
ensure_commands debootstrap:debootstrap
ensure_docker
find_java
ensure_jars

# Modules netra needs at run time (checked with jdeps when this list was made).
JRE_MODULES=java.base,java.logging,java.naming,jdk.httpserver,jdk.unsupported,java.management,jdk.management,java.net.http,jdk.jfr

slim_rootfs() {
  rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/* \
         "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*
}

if ! docker image inspect netra-base:bookworm >/dev/null 2>&1 || ! docker image inspect netra-base-iptables:bookworm >/dev/null 2>&1; then
  ROOTFS=$(mktemp -d /tmp/netra-rootfs.XXXXXX)
  trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT
  log "debootstrap a minimal Debian bookworm (once; cached as netra-base:bookworm)"
  debootstrap --variant=minbase bookworm "$ROOTFS" >"$ROOTFS.log" 2>&1 \
    || { tail -20 "$ROOTFS.log"; die "debootstrap failed"; }
  slim_rootfs "$ROOTFS"
  tar -C "$ROOTFS" -c . | docker import - netra-base:bookworm >/dev/null
  log "adding iptables for the init image (netra-base-iptables:bookworm)"
  chroot "$ROOTFS" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive chroot "$ROOTFS" apt-get install -y -q --no-install-recommends iptables >/dev/null
  slim_rootfs "$ROOTFS"
  tar -C "$ROOTFS" -c . | docker import - netra-base-iptables:bookworm >/dev/null
fi

CONTEXT=$NETRA_ROOT/target/image-context
rm -rf "$CONTEXT"
mkdir -p "$CONTEXT/bin" "$CONTEXT/scripts" "$CONTEXT/lib"
log "jlink a Java runtime ($JRE_MODULES)"
"$JAVA_HOME/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-man-pages --no-header-files \
  --compress zip-6 --output "$CONTEXT/jre"
cp "$NETRA_ROOT/bin/netra" "$CONTEXT/bin/"
cp "$NETRA_ROOT/scripts/lib.sh" "$CONTEXT/scripts/"
cp "$NETRA_LIB"/netra-sidecar.jar "$NETRA_LIB"/netra-init.jar "$NETRA_LIB"/netra-testapp.jar "$NETRA_LIB"/netra-inject.jar \
  "$CONTEXT/lib/"

for image in sidecar init testapp injector; do
  log "docker build netra-$image:$TAG"
  docker build -q -f "$NETRA_ROOT/docker/$image.Dockerfile" -t "netra-$image:$TAG" "$CONTEXT" >/dev/null
done
# The sidecar's AOT cache, made by a training run of the image itself in a pod like the ones it
# will run in: the JVM that writes it must be the one that maps it, and a cache trained only on
# start-up left the classes of the first connections (virtual-thread scheduler, socket options,
# the HTTP path, the OTLP export) to load from the jar while the first request waited
# (docs/performance.md). The pod: a testapp app, netra-init's rules and the sidecar as uid 1337; a peer
# serves HTTP, echoes TCP and collects the spans; traffic goes in and out through the sidecar
# (the 4 MB echoes are bulk flows: the splice path is in the cache too).
log "recording the sidecar's AOT cache (training run: a pod with traffic in and out)"
TRAINING_NET=netra-aot-training
remove_training() {
  docker rm -f netra-aot-training netra-aot-pod netra-aot-peer >/dev/null 2>&1 || true
  docker network rm "$TRAINING_NET" >/dev/null 2>&1 || true
}
training_failed() {
  docker logs netra-aot-training 2>&1 | tail -20 >&2
  remove_training
  die "$1"
}
wait_for_log() { # CONTAINER PATTERN
  local _
  for _ in $(seq 1 150); do
    docker logs "$1" 2>&1 | grep -q "$2" && return 0
    sleep 0.2
  done
  return 1
}
remove_training
docker network create "$TRAINING_NET" >/dev/null
docker run -d --name netra-aot-peer --network "$TRAINING_NET" --network-alias peer "netra-testapp:$TAG" \
  serve http:8080 echo:7000 collector:4318:6831 >/dev/null
docker run -d --name netra-aot-pod --network "$TRAINING_NET" --network-alias pod "netra-testapp:$TAG" \
  serve http:8080 echo:7000 >/dev/null
wait_for_log netra-aot-peer serving && wait_for_log netra-aot-pod serving || training_failed "the training pod's apps did not start"
docker run --rm --network container:netra-aot-pod --cap-drop ALL --cap-add NET_ADMIN --cap-add NET_RAW "netra-init:$TAG" >/dev/null \
  || training_failed "netra-init failed in the training pod"
docker run -d --name netra-aot-training --network container:netra-aot-pod \
  -e NETRA_AOT_RECORD=/tmp/netra-sidecar.aot -e OTEL_EXPORTER_OTLP_ENDPOINT=http://peer:4318 \
  "netra-sidecar:$TAG" --service-name aot-training >/dev/null
wait_for_log netra-aot-training 'tracing and JVM metrics up' || training_failed "the training sidecar did not come up"
for run in "netra-aot-peer http-load pod 8080 / 200" "netra-aot-pod http-load peer 8080 / 200" \
           "netra-aot-peer echo-client pod 7000 4000000 2" "netra-aot-pod echo-client peer 7000 4000000 2"; do
  read -r container args <<<"$run"
  # shellcheck disable=SC2086 # args is a word list
  docker exec "$container" /opt/netra/bin/netra testapp $args >/dev/null || training_failed "training traffic failed: $run"
done
# SIGTERM: the sidecar drains, flushes its spans to the peer, and the JVM writes the cache as it exits.
docker stop -t 60 netra-aot-training >/dev/null
rm -f "$CONTEXT/netra-sidecar.aot"
docker cp netra-aot-training:/tmp/netra-sidecar.aot "$CONTEXT/netra-sidecar.aot" 2>/dev/null \
  || training_failed "the AOT training run wrote no cache"
grep -q 'aot-training' <(docker exec netra-aot-peer /opt/netra/bin/netra testapp trace-tree localhost 4318 2>&1) \
  || training_failed "the training run exported no spans (the cache would lack the export path)"
remove_training
printf 'FROM netra-sidecar:%s\nCOPY netra-sidecar.aot /opt/netra/lib/netra-sidecar.aot\n' "$TAG" \
  | docker build -q -f - -t "netra-sidecar:$TAG" "$CONTEXT" >/dev/null
# The JVM drops a cache made with other flags or jars quietly: check that the image maps its own.
AOT_LOG=$(docker run --rm -e NETRA_JAVA_OPTS=-Xlog:aot=info "netra-sidecar:$TAG" --help 2>&1)
if ! grep -q 'Using AOT-linked classes: true' <<<"$AOT_LOG" || grep -q '\[error\]\[aot\]' <<<"$AOT_LOG"; then
  grep -E 'aot' <<<"$AOT_LOG" | grep -v '\[info' | head -20 >&2
  die "netra-sidecar:$TAG does not use its AOT cache"
fi
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^netra-(sidecar|init|testapp|injector):$TAG " >&2
