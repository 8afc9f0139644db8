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

. "$NETRA_ROOT/scripts/pods.sh"
pods_up

echo "client app: 4 connections to 10.77.0.2:8080, 1 MiB each, echoed back and verified"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp echo-client 10.77.0.2 8080 1048576 4 | sed 's/^/  /'
if [ -z "$IPV6_SKIPPED" ]; then
  echo "client app: 1 connection over IPv6 to [fd77::2]:8080"
  in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp echo-client fd77::2 8080 65536 1 | sed 's/^/  /'
fi
echo "client app: 45 HTTP requests on one keep-alive connection to 10.77.0.2:8081 (40 answered 200, 5 answered 503)"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp http-load 10.77.0.2 8081 /status/200 40 | sed 's/^/  /'
start_tap "$SERVER" "$WORK/tap.txt" --count 6   # the operator's live view of the next requests
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp http-load 10.77.0.2 8081 /status/503 5 | sed 's/^/  /'
echo "client app: one more request, GET /status/200 with X-Request-Id: demo"
in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" testapp http-load 10.77.0.2 8081 /status/200 1 "X-Request-Id: demo" | sed 's/^/  /'
await_tap
echo
echo "what an operator saw meanwhile with \`bin/netra tap\` in the server pod (the last 6 requests):"
sed 's/^/  /' "$WORK/tap.txt"
sleep 2.5

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
