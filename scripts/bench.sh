#!/usr/bin/env bash
# bin/netra bench [--quick]: netra against a direct connection and nginx, side by side, on this
# machine. Builds the topology in network namespaces (client 10.88.0.1, server 10.88.0.2),
# runs the cases (dev.netra.bench.Bench, inside the client namespace) and removes everything.
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'USAGE'
usage: netra bench [--quick]

Measures, in one run and side by side: direct, netra one hop (outbound sidecar), netra mesh
(two hops), netra one hop with tracing off, nginx as an L7 proxy with upstream keep-alive, and
the sidecar command in NETRA_BENCH_PEER_CMD if set (run as uid 1337 behind netra-init's
rules, listening on 14956). Throughput at 1/32/256 connections (and with a new connection per
request, with 16 KB responses, and HTTP/2 by h2load; nginx proxies it with grpc_pass), latency at fixed rates
(coordinated-omission corrected), RSS (idle, at 256 connections, a while after load, with
1000 idle keep-alive connections open), CPU per request (nginx's too), start-up time, bulk TCP.
--quick: one short round (under 2 minutes). Writes target/bench/results.json.
NETRA_BENCH_WARMUP_SECONDS: unrecorded load before each case's runs (default 5, 0.5 with
--quick); the sidecar's JIT compiles for ~25 s under load, so 30 shows steady state (the full
run then takes ~19 minutes).
USAGE
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the benchmark builds network namespaces: run it as root"
if [ -n "${NETRA_BENCH_WARMUP_SECONDS:-}" ] && ! [[ $NETRA_BENCH_WARMUP_SECONDS =~ ^[0-9]{1,3}$ && 10#$NETRA_BENCH_WARMUP_SECONDS -le 600 ]]; then
  die "NETRA_BENCH_WARMUP_SECONDS=$NETRA_BENCH_WARMUP_SECONDS: expected whole seconds from 0 to 600"
fi
ensure_commands ip:iproute2 iptables:iptables setpriv:util-linux nginx:nginx-light h2load:nghttp2-client
find_java
ensure_jars
BENCH_JAR=$NETRA_ROOT/netra-bench/target/netra-bench.jar
if [ ! -f "$BENCH_JAR" ]; then
  (cd "$NETRA_ROOT" && mvn -q -B -DskipTests package -pl netra-ffm,netra-sidecar,netra-bench -am) >&2 || die "building netra-bench failed"
fi

WORK=$(mktemp -d /tmp/netra-bench.XXXXXX)
# the two namespaces are named per run: two benches on one machine do not collide
NC=nb$$-c
NS=nb$$-s
export NETRA_BENCH_SERVER_NS=$NS
chmod 755 "$WORK"
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx-server.pid" ] && kill "$(cat "$WORK/nginx-server.pid")" 2>/dev/null || true
  [ -f "$WORK/nginx-proxy.pid" ] && kill "$(cat "$WORK/nginx-proxy.pid")" 2>/dev/null || true
  sleep 0.3
  ip netns del "$NC" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

ip netns add "$NC"
ip netns add "$NS"
ip link add nb-c0 netns "$NC" type veth peer name nb-s0 netns "$NS"
ip netns exec "$NC" ip link set lo up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NC" ip addr add 10.88.0.1/24 dev nb-c0
ip netns exec "$NS" ip addr add 10.88.0.2/24 dev nb-s0
ip netns exec "$NC" ip link set nb-c0 up
ip netns exec "$NS" ip link set nb-s0 up

cat >"$WORK/nginx-server.conf" <<CONF
worker_processes 1;
pid $WORK/nginx-server.pid;
error_log $WORK/nginx-server.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 10.88.0.2:8080;
    location / { return 200 "hello from the server\n"; }
    location = /16k { default_type application/octet-stream; alias $WORK/16k; }
  }
  server {
    listen 10.88.0.2:8082 http2;
    location / { return 200 "hello from the server\n"; }
  }
}
CONF
cat >"$WORK/nginx-proxy.conf" <<CONF
worker_processes $(nproc);
pid $WORK/nginx-proxy.pid;
error_log $WORK/nginx-proxy.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream server { server 10.88.0.2:8080; keepalive 256; }
  upstream server_h2 { server 10.88.0.2:8082; keepalive 64; }
  server {
    listen 127.0.0.1:18080;
    location / { proxy_pass http://server; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:18082 http2;
    location / { grpc_pass grpc://server_h2; }
  }
}
CONF
head -c 16384 /dev/zero | tr '\0' x >"$WORK/16k"
chmod 644 "$WORK/16k"
ip netns exec "$NS" nginx -c "$WORK/nginx-server.conf"
ip netns exec "$NC" nginx -c "$WORK/nginx-proxy.conf"
# an OTLP sink that answers every export, and a byte counter for bulk TCP
ip netns exec "$NS" "$NETRA_ROOT/bin/netra" testapp serve http:4318 count:9000 >"$WORK/sinks.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 100); do grep -q serving "$WORK/sinks.log" 2>/dev/null && break; sleep 0.1; done

mkdir -p "$NETRA_ROOT/target/bench" 2>/dev/null || true
OUT=${NETRA_BENCH_JSON:-$NETRA_ROOT/target/bench/results.json}
ip netns exec "$NC" "$JAVA_HOME/bin/java" -XX:+UseParallelGC -Xmx1g -cp "$BENCH_JAR" dev.netra.bench.Bench \
  "$NETRA_ROOT" "$@" --json "$OUT" --nginx-pid-file "$WORK/nginx-proxy.pid"
