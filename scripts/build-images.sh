#!/usr/bin/env bash
# Builds the images users run (netra-sidecar, netra-init) and the it-tests' netra-testapp,
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
  trap 'rm -rf "$ROOTFS"' EXIT
  log "debootstrap a minimal Debian bookworm (once; cached as netra-base:bookworm)"
  debootstrap --variant=minbase bookworm "$ROOTFS" >/tmp/netra-debootstrap.log 2>&1 \
    || { tail -20 /tmp/netra-debootstrap.log; die "debootstrap failed"; }
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
cp "$NETRA_LIB"/netra-sidecar.jar "$NETRA_LIB"/netra-init.jar "$NETRA_LIB"/netra-testapp.jar "$CONTEXT/lib/"

for image in sidecar init testapp; do
  log "docker build netra-$image:$TAG"
  docker build -q -f "$NETRA_ROOT/docker/$image.Dockerfile" -t "netra-$image:$TAG" "$CONTEXT" >/dev/null
done
# The sidecar's AOT cache, made by a training run of the image itself (start-up, the warm-up's
# HTTP exchange, tracing set-up, SIGTERM): the JVM that writes it must be the one that maps it.
log "recording the sidecar's AOT cache (training run)"
docker rm -f netra-aot-training >/dev/null 2>&1 || true
docker run -d --name netra-aot-training --user 0 -e NETRA_AOT_CACHE=/tmp/netra-sidecar.aot \
  "netra-sidecar:$TAG" --service-name aot-training >/dev/null
for _ in $(seq 1 100); do
  docker logs netra-aot-training 2>&1 | grep -q 'tracing and JVM metrics up' && break
  sleep 0.2
done
docker stop -t 60 netra-aot-training >/dev/null
rm -f "$CONTEXT/netra-sidecar.aot"
docker cp netra-aot-training:/tmp/netra-sidecar.aot.rec-1 "$CONTEXT/netra-sidecar.aot" 2>/dev/null \
  || { docker logs netra-aot-training 2>&1 | tail -20 >&2; docker rm -f netra-aot-training >/dev/null; die "the AOT training run wrote no cache"; }
docker rm -f netra-aot-training >/dev/null
printf 'FROM netra-sidecar:%s\nCOPY netra-sidecar.aot /opt/netra/lib/netra-sidecar.aot\n' "$TAG" \
  | docker build -q -f - -t "netra-sidecar:$TAG" "$CONTEXT" >/dev/null
# The JVM drops a cache made with other flags or jars quietly: check that the image maps its own.
AOT_LOG=$(docker run --rm -e NETRA_JAVA_OPTS=-Xlog:aot=info "netra-sidecar:$TAG" --help 2>&1)
if ! grep -q 'Using AOT-linked classes: true' <<<"$AOT_LOG" || grep -q '\[error\]\[aot\]' <<<"$AOT_LOG"; then
  grep -E 'aot' <<<"$AOT_LOG" | grep -v '\[info' | head -20 >&2
  die "netra-sidecar:$TAG does not use its AOT cache"
fi
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^netra-(sidecar|init|testapp):$TAG " >&2
