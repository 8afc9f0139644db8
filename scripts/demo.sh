#!/usr/bin/env bash
# bin/netra demo: two pods as network namespaces on this machine, each with netra-init rules and a
# netra sidecar running as uid 1337, a client app in one and a server app in the other; traffic
# flows client -> client sidecar (outbound) -> server sidecar (inbound) -> server. Prints what
# each sidecar saw, then removes everything it made (also on Ctrl-C).
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'USAGE'
usage: netra demo

Runs, as root and without Docker or a cluster: pods "client" and "server" as network
namespaces joined by a veth pair (10.77.0.1 and 10.77.0.2, fd77::1 and fd77::2), netra init
and a netra sidecar (uid 1337) in each, a server app and a client app. Sends traffic and prints
what each sidecar saw. Cleans up on exit and on Ctrl-C.
USAGE
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the demo creates network namespaces and iptables rules: run it as root"
ensure_commands ip:iproute2 iptables:iptables setpriv:util-linux
find_java
ensure_jars

TAG=netra-demo-$$
CLIENT=$TAG-client
SERVER=$TAG-server
WORK=$(mktemp -d /tmp/netra-demo.XXXXXX)
chmod 755 "$WORK"
PIDS=()

cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$CLIENT" 2>/dev/null || true
  ip netns del "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "interrupted: cleaning up"; exit 130' INT TERM

in_pod() { local pod=$1; shift; ip netns exec "$pod" "$@"; }

# --- the two pods -------------------------------------------------------------------------
ip netns add "$CLIENT"
ip netns add "$SERVER"
ip link add "c$$" netns "$CLIENT" type veth peer name "s$$" netns "$SERVER"
in_pod "$CLIENT" ip link set lo up
in_pod "$SERVER" ip link set lo up
in_pod "$CLIENT" ip addr add 10.77.0.1/24 dev "c$$"
in_pod "$SERVER" ip addr add 10.77.0.2/24 dev "s$$"
in_pod "$CLIENT" ip link set "c$$" up
in_pod "$SERVER" ip link set "s$$" up
# IPv6 on the pair, checked and retried: an address added right after the link sometimes does not stay
add_ipv6() {
  local pod=$1 dev=$2 addr=$3 i err=""
  for i in 1 2 3 4 5; do
    err=$(in_pod "$pod" ip -6 addr replace "$addr/64" dev "$dev" nodad 2>&1) || true
    in_pod "$pod" ip -6 addr show dev "$dev" | grep -q "$addr" && return 0
    sleep 0.2
  done
  # say why, so that a skipped IPv6 step is never silent: ip's error, the device's addresses and
  # whether IPv6 is disabled on it
  echo "note: IPv6 could not be set up in $pod; the IPv6 step is skipped. ip said: ${err:-nothing};" \
    "disable_ipv6=$(in_pod "$pod" cat "/proc/sys/net/ipv6/conf/$dev/disable_ipv6" 2>&1);" \
    "addresses: $(in_pod "$pod" ip -6 addr show dev "$dev" 2>&1 | tr -s ' \n' ' ')" >&2
}
add_ipv6 "$CLIENT" "c$$" fd77::1
add_ipv6 "$SERVER" "s$$" fd77::2

echo "pods: client 10.77.0.1 (netns $CLIENT), server 10.77.0.2 (netns $SERVER)"
# The server pod also hosts a small trace collector (OTLP/HTTP on 4318), kept out of interception.
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" init >"$WORK/init-client.log" 2>&1 \
  || { cat "$WORK/init-client.log"; die "netra init failed in the client pod"; }
in_pod "$SERVER" env NETRA_INBOUND_EXCLUDE_PORTS=4318 "$NETRA_ROOT/bin/netra" init >"$WORK/init-server.log" 2>&1 \
  || { cat "$WORK/init-server.log"; die "netra init failed in the server pod"; }
echo "netra init: NETRA_INBOUND/NETRA_OUTBOUND rules written in both pods"

# --- the sidecars, as uid 1337 -------------------------------------------------------------
start_sidecar() {
  local pod=$1 name=$2 collector=$3
  # started with ip netns exec itself (not the in_pod function): a backgrounded function would
  # be a subshell, and $! would name the subshell instead of the sidecar
  ip netns exec "$pod" setpriv --reuid 1337 --regid 1337 --clear-groups \
    env NETRA_LOGGER_LEVEL=debug OTEL_EXPORTER_OTLP_ENDPOINT="$collector" \
    "$NETRA_ROOT/bin/netra" sidecar --service-name "$name" >"$WORK/sidecar-$name.log" 2>&1 &
  PIDS+=($!)
}
start_sidecar "$CLIENT" client http://10.77.0.2:4318
start_sidecar "$SERVER" server http://127.0.0.1:4318
for pod in "$CLIENT" "$SERVER"; do
  for i in $(seq 1 100); do
    in_pod "$pod" bash -c 'exec 3<>/dev/tcp/127.0.0.1/14958 && printf "GET /ready HTTP/1.0\r\n\r\n" >&3 && grep -q "200" <&3' 2>/dev/null && break
    [ "$i" -eq 100 ] && { cat "$WORK"/sidecar-*.log; die "sidecar in $pod did not become ready"; }
    sleep 0.1
  done
done
echo "sidecars: ready in both pods (uid 1337)"

# --- the apps ------------------------------------------------------------------------------
ip netns exec "$SERVER" "$NETRA_ROOT/bin/netra" testapp serve echo:8080 http:8081 collector:4318:6831 >"$WORK/server-app.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 100); do grep -q listening "$WORK/server-app.log" 2>/dev/null && break; sleep 0.1; done

echo "client app: 4 connections to 10.77.0.2:8080, 1 MiB each, echoed back and verified"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp echo-client 10.77.0.2 8080 1048576 4 | sed 's/^/  /'
if in_pod "$CLIENT" ip -6 addr show | grep -q fd77::1; then
  echo "client app: 1 connection over IPv6 to [fd77::2]:8080"
  in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp echo-client fd77::2 8080 65536 1 | sed 's/^/  /'
fi
echo "client app: 45 HTTP requests on one keep-alive connection to 10.77.0.2:8081 (40 answered 200, 5 answered 503)"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp http-load 10.77.0.2 8081 /status/200 40 | sed 's/^/  /'
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp http-load 10.77.0.2 8081 /status/503 5 | sed 's/^/  /'
echo "client app: one more request, GET /status/200 with X-Request-Id: demo"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp http-load 10.77.0.2 8081 /status/200 1 "X-Request-Id: demo" | sed 's/^/  /'
sleep 2.5

metric() { # pod name labels
  in_pod "$1" "$NETRA_ROOT/bin/netra" testapp http-get 127.0.0.1 14958 /metrics \
    | awk -v m="$2" -v l="$3" 'index($0, m"{")==1 && index($0, l) {s+=$2} END {printf "%d", s}'
}
report() {
  local pod=$1 name=$2 dir=$3
  printf '%s sidecar: %s connections %s, bytes to upstream %s, bytes to client %s\n' "$name" "$dir" \
    "$(metric "$pod" netra_tcp_connections_opened_total "direction=\"$dir\"")" \
    "$(metric "$pod" netra_tcp_bytes_total "direction=\"$dir\",flow=\"to_upstream\"")" \
    "$(metric "$pod" netra_tcp_bytes_total "direction=\"$dir\",flow=\"to_client\"")"
  grep -o "conn=[0-9]* $dir [^ ]* -> [^ ]*" "$WORK/sidecar-$name.log" | awk '{print $5}' | sort | uniq -c \
    | awk -v n="$name" '{printf "  original destination %s: %d connections\n", $2, $1}'
}
echo
report "$CLIENT" client outbound
report "$SERVER" server inbound
echo "server app saw its clients come from: $(grep -o 'from [^ ]*' "$WORK/server-app.log" | sed 's/from \/\?//; s/:[0-9]*$//' | sort -u | tr '\n' ' ')(its own sidecar)"
echo
echo "golden signals (from each sidecar's /metrics):"
echo " client sidecar"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp golden 127.0.0.1 14958 | sed 's/^/ /'
echo " server sidecar"
in_pod "$SERVER" "$NETRA_ROOT/bin/netra" testapp golden 127.0.0.1 14958 | sed 's/^/ /'
echo
echo "the trace of that last request, as the collector in the server pod received it:"
in_pod "$SERVER" "$NETRA_ROOT/bin/netra" testapp trace-tree 127.0.0.1 4318 demo | sed 's/^/ /'
echo
echo "demo done; removing the namespaces, rules and processes"
