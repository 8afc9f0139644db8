#!/usr/bin/env bash
# HTTP/2 and gRPC through two sidecars, with real peers in the demo's pods (scripts/pods.sh): a
# grpcio server and client (unary, server, client and bidi streaming, an error status, a stream
# cancelled mid-body, a 20 KB header block), nghttpd with curl (prior knowledge) and h2load
# (dynamic table size updates both ways, GOAWAY at the end), a python3-h2 server that curl reaches
# by the HTTP/1.1 upgrade (h2c). Checks what the apps got, the
# sidecars' metrics and the collector's traces, one check per line.
# usage: scripts/test-grpc.sh
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"

[ "$(id -u)" -eq 0 ] || die "test-grpc creates network namespaces and iptables rules: run it as root"
ensure_commands ip:iproute2 iptables:iptables setpriv:util-linux curl:curl nghttpd:nghttp2-server h2load:nghttp2-client
/usr/bin/python3 -c 'import grpc' 2>/dev/null || ensure_packages python3-grpcio
/usr/bin/python3 -c 'import h2' 2>/dev/null || ensure_packages python3-h2
find_java
ensure_jars
. "$NETRA_ROOT/scripts/pods.sh"
pods_up >/dev/null

# --- the server pod's HTTP/2 apps ---------------------------------------------------------------
mkdir -p "$WORK/www"
head -c 100000 /dev/urandom >"$WORK/www/blob"
ip netns exec "$SERVER" /usr/bin/python3 "$NETRA_ROOT/scripts/peers/grpc_peer.py" serve 50051 >"$WORK/grpc-server.log" 2>&1 &
PIDS+=($!)
ip netns exec "$SERVER" nghttpd --no-tls -d "$WORK/www" 8082 >"$WORK/nghttpd.log" 2>&1 &
PIDS+=($!)
ip netns exec "$SERVER" /usr/bin/python3 "$NETRA_ROOT/scripts/peers/h2c_peer.py" 8083 >"$WORK/h2c-server.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 100); do
  grep -q listening "$WORK/grpc-server.log" && grep -q listening "$WORK/h2c-server.log" \
    && in_pod "$SERVER" ss -Hltn '( sport = :8082 )' | grep -q . && break
  [ "$i" -eq 100 ] && { cat "$WORK/grpc-server.log" "$WORK/nghttpd.log" "$WORK/h2c-server.log"; die "the HTTP/2 servers did not start"; }
  sleep 0.1
done

# --- gRPC: every kind of call, what the apps got checked by the client --------------------------
out=$(in_pod "$CLIENT" /usr/bin/python3 "$NETRA_ROOT/scripts/peers/grpc_peer.py" calls 10.77.0.2 50051 grpc-mesh 2>&1) || true
while IFS= read -r line; do
  case "$line" in
    "ok   "*) check "gRPC ${line#ok   }" ok ok ;;
    "FAIL "*) check "gRPC ${line#FAIL }" ok failed ;;
  esac
done <<<"$out"
check "gRPC: all 8 checks of the client ran" 8 "$(grep -cE '^(ok|FAIL) ' <<<"$out")"

# --- h2c with curl and h2load --------------------------------------------------------------------
got=$(in_pod "$CLIENT" curl -s --http2-prior-knowledge "http://10.77.0.2:8082/blob" | sha256sum | cut -d' ' -f1)
check "curl --http2-prior-knowledge: the 100 KB body intact" "$(sha256sum <"$WORK/www/blob" | cut -d' ' -f1)" "$got"
load=$(in_pod "$CLIENT" h2load -n 2000 -c 4 -m 10 --header-table-size=1024 --encoder-header-table-size=1024 \
  "http://10.77.0.2:8082/blob" 2>&1) || true
check "h2load: 2000 requests succeeded (table size updates both ways)" "2000 succeeded" \
  "$(grep -o '[0-9]* succeeded' <<<"$load")"

# --- HTTP/1.1 upgraded to h2c (curl, python3-h2): the upgrading request answered on stream 1, the
# next one a stream of the same connection
got=$(in_pod "$CLIENT" curl -s --http2 -w '%{http_version}\n' "http://10.77.0.2:8083/up" "http://10.77.0.2:8083/next" | tr '\n' ' ')
check "curl --http2 (Upgrade: h2c): both answers, over HTTP/2" "h2c /up 2 h2c /next 2 " "$got"
for side in "$CLIENT outbound" "$SERVER inbound"; do
  set -- $side
  check "$2 sidecar: the upgrading request, sent as HTTP/1.1" 1 "$(await_metric "$1" netra_http_requests_total "direction=\"$2\",method=\"GET\",port=\"8083\",protocol=\"http1\"" 1)"
  check "$2 sidecar: the next request, an HTTP/2 stream" 1 "$(await_metric "$1" netra_http_requests_total "direction=\"$2\",method=\"GET\",port=\"8083\",protocol=\"http2\"" 1)"
done

# --- what the sidecars counted --------------------------------------------------------------------
check "client sidecar: gRPC calls answered OK" 4 "$(await_metric "$CLIENT" netra_grpc_calls_total 'direction="outbound",grpc_code="OK"' 4)"
check "client sidecar: gRPC calls answered NOT_FOUND" 1 "$(await_metric "$CLIENT" netra_grpc_calls_total 'direction="outbound",grpc_code="NOT_FOUND"' 1)"
check "client sidecar: the cancelled call, without a status" 1 "$(await_metric "$CLIENT" netra_grpc_calls_total 'direction="outbound",grpc_code="none"' 1)"
check "server sidecar: gRPC calls answered OK" 4 "$(await_metric "$SERVER" netra_grpc_calls_total 'direction="inbound",grpc_code="OK"' 4)"
check "server sidecar: gRPC calls answered NOT_FOUND" 1 "$(await_metric "$SERVER" netra_grpc_calls_total 'direction="inbound",grpc_code="NOT_FOUND"' 1)"
h2=$((6 + 1 + 2000 + 2))
check "client sidecar: HTTP/2 requests" "$h2" "$(await_metric "$CLIENT" netra_http_requests_total 'direction="outbound"' "$h2")"
check "server sidecar: HTTP/2 requests" "$h2" "$(await_metric "$SERVER" netra_http_requests_total 'direction="inbound"' "$h2")"
check "client sidecar: no fallback" 0 "$(metric "$CLIENT" netra_http_fallbacks_total '')"
check "server sidecar: no fallback" 0 "$(metric "$SERVER" netra_http_fallbacks_total '')"

# --- one trace per call, the client sidecar's span and the server's under it -----------------------
tree=$(await_tree grpc-mesh)
check "a gRPC call is one trace" 1 "$(grep -c '^trace ' <<<"$tree")"
check "its root: the client sidecar's span, gRPC status OK" 1 "$(grep -c '^  client client "10.77.0.2:50051/netra.test.Echo/Metadata" .* grpc_status=0$' <<<"$tree")"
check "under it: the server sidecar's span, gRPC status OK" 1 "$(grep -c '^    server server "/netra.test.Echo/Metadata" .* grpc_status=0$' <<<"$tree")"
tree=$(await_tree grpc-mesh-nf)
check "NOT_FOUND: an error on the client's span" 1 "$(grep -c '^  client client .* grpc_status=5 ERROR$' <<<"$tree")"
check "NOT_FOUND: not an error on the server's span" 1 "$(grep -c '^    server server .* grpc_status=5$' <<<"$tree")"

if [ "$FAILED" -gt 0 ]; then
  echo "--- the sidecars' warnings and errors:"
  grep -h ' WARN\| ERROR' "$WORK"/sidecar-*.log | head -20 || true
  echo "--- the traces of the two calls:"
  await_tree grpc-mesh
  await_tree grpc-mesh-nf
fi
echo "test-grpc: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
