# Two pods as network namespaces on this machine, sourced by scripts/demo.sh (which shows them)
# and by scripts/test-mesh.sh and scripts/test-grpc.sh (which check them): "client" and "server"
# joined by a veth pair (10.77.0.1 and 10.77.0.2, fd77::1 and fd77::2), netra init and a netra
# sidecar (uid 1337) in each, a server app and a trace collector in the server pod. pods_up makes
# them; everything is removed on exit (also on Ctrl-C). Names and the work directory are per run,
# so two runs on one machine do not collide.
# shellcheck shell=bash

TAG=netra-pods-$$
CLIENT=$TAG-client
SERVER=$TAG-server
WORK=$(mktemp -d /tmp/netra-pods.XXXXXX)
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

IPV6_SKIPPED=""

# IPv6 on the pair, checked and retried: an address added right after the link sometimes does not stay
add_ipv6() {
  local pod=$1 dev=$2 addr=$3 i err=""
  for i in 1 2 3 4 5; do
    err=$(in_pod "$pod" ip -6 addr replace "$addr/64" dev "$dev" nodad 2>&1) || true
    in_pod "$pod" ip -6 addr show dev "$dev" | grep -q "$addr" && return 0
    sleep 0.2
  done
  # say why, so that a skipped IPv6 step is never silent: ip's error, the device's addresses and
  # whether IPv6 is disabled on it (IPV6_SKIPPED keeps it for a test to fail with)
  IPV6_SKIPPED="IPv6 could not be set up in $pod; ip said: ${err:-nothing};"\
" disable_ipv6=$(in_pod "$pod" cat "/proc/sys/net/ipv6/conf/$dev/disable_ipv6" 2>&1);"\
" addresses: $(in_pod "$pod" ip -6 addr show dev "$dev" 2>&1 | tr -s ' \n' ' ')"
  echo "note: $IPV6_SKIPPED; the IPv6 step is skipped" >&2
  return 1
}
# Whether an address is there and usable once both ends are up: present, not tentative (DAD is
# off, but a link that was not yet up when it was added is checked again), and the link has a
# carrier. Waits up to 2 s; else says why in IPV6_SKIPPED.
ipv6_usable() {
  local pod=$1 dev=$2 addr=$3 i shown=""
  for i in $(seq 1 20); do
    shown=$(in_pod "$pod" ip -6 addr show dev "$dev" 2>&1)
    if grep -q "$addr" <<<"$shown" && ! grep -q tentative <<<"$shown" \
        && [ "$(in_pod "$pod" cat "/sys/class/net/$dev/carrier" 2>/dev/null)" = 1 ]; then
      return 0
    fi
    grep -q "$addr" <<<"$shown" || in_pod "$pod" ip -6 addr replace "$addr/64" dev "$dev" nodad 2>/dev/null || true
    sleep 0.1
  done
  IPV6_SKIPPED="IPv6 address $addr on $dev in $pod not usable after 2 s: $(tr -s ' \n' ' ' <<<"$shown")"\
" carrier=$(in_pod "$pod" cat "/sys/class/net/$dev/carrier" 2>&1)"
  echo "note: $IPV6_SKIPPED; the IPv6 step is skipped" >&2
  return 1
}

# Makes both pods, their rules and sidecars, and the server app; returns when all are ready.
pods_up() {
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
  add_ipv6 "$CLIENT" "c$$" fd77::1 && add_ipv6 "$SERVER" "s$$" fd77::2 && ipv6_usable "$CLIENT" "c$$" fd77::1 \
    && ipv6_usable "$SERVER" "s$$" fd77::2 || true

  echo "pods: client 10.77.0.1 (netns $CLIENT), server 10.77.0.2 (netns $SERVER)"
  # The server pod also hosts a small trace collector (OTLP/HTTP on 4318), kept out of interception.
  in_pod "$CLIENT" "$NETRA_ROOT/bin/netra" init >"$WORK/init-client.log" 2>&1 \
    || { cat "$WORK/init-client.log"; die "netra init failed in the client pod"; }
  in_pod "$SERVER" env NETRA_INBOUND_EXCLUDE_PORTS=4318 "$NETRA_ROOT/bin/netra" init >"$WORK/init-server.log" 2>&1 \
    || { cat "$WORK/init-server.log"; die "netra init failed in the server pod"; }
  echo "netra init: NETRA_INBOUND/NETRA_OUTBOUND rules written in both pods"
  # netra init goes on without IPv6 rules where ip6tables fails: said here, before its log goes
  local skipped
  skipped=$(grep -h "IPv6 rules skipped" "$WORK"/init-*.log || true)
  if [ -n "$skipped" ] && [ -z "$IPV6_SKIPPED" ]; then
    IPV6_SKIPPED="netra init: $skipped"
    echo "note: $IPV6_SKIPPED" >&2
  fi

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
  grep -q listening "$WORK/server-app.log" || { cat "$WORK/server-app.log"; die "the server app did not start"; }
}

# The sum of a metric's series whose labels contain LABELS, from a sidecar's /metrics (read with
# bash's /dev/tcp: no JVM per read). usage: metric POD NAME LABELS
metric() {
  in_pod "$1" bash -c 'exec 3<>/dev/tcp/127.0.0.1/14958 && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' 2>/dev/null \
    | awk -v m="$2" -v l="$3" 'index($0, m"{")==1 && index($0, l) {s+=$2} END {printf "%d", s}'
}

# Starts `bin/netra tap ARGS` in POD, its output in FILE, and returns once it is subscribed
# (its connection to the profiling port is established; 10 s at most). Its pid is in TAP_PID.
start_tap() { # POD FILE ARGS...
  local pod=$1 file=$2 deadline=$((SECONDS + 10))
  shift 2
  in_pod "$pod" "$NETRA_ROOT/bin/netra" tap "$@" >"$file" 2>&1 &
  TAP_PID=$!
  PIDS+=("$TAP_PID")
  until in_pod "$pod" ss -Htn state established '( dport = :14957 )' | grep -q . || [ "$SECONDS" -ge "$deadline" ]; do
    sleep 0.1
  done
}

# Waits up to 10 s for the tap started by start_tap to have printed what it was asked for.
await_tap() {
  local deadline=$((SECONDS + 10))
  while kill -0 "$TAP_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  kill "$TAP_PID" 2>/dev/null || true
}


# --- checks, for the scripts that assert what the pods did (test-mesh, test-grpc) ---------------
PASSED=0
FAILED=0
check() { # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    PASSED=$((PASSED + 1))
    echo "ok   $1"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $1: expected $2, got $3"
  fi
}
# awaits a metric's value (counted when an exchange or connection ends: shortly after the client
# saw its response), at most 10 s; prints the last value read. Labels as /metrics prints them:
# sorted by name
await_metric() { # POD NAME LABELS EXPECTED
  local v deadline=$((SECONDS + 10))
  while :; do
    v=$(metric "$1" "$2" "$3")
    [ "$v" = "$4" ] || [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.1
  done
  echo "$v"
}
# the collector's trace of a request id once both sidecars' spans are in (15 s at most)
await_tree() { # REQUEST_ID
  local tree="" deadline=$((SECONDS + 15))
  while [ "$SECONDS" -lt "$deadline" ]; do
    tree=$(in_pod "$SERVER" "$NETRA_ROOT/bin/netra" testapp trace-tree 127.0.0.1 4318 "$1") || true
    grep -q '^    server ' <<<"$tree" && break
    sleep 0.2
  done
  echo "$tree"
}
