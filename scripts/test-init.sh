#!/usr/bin/env bash
# netra init against a real nat table, in a network namespace of its own: applying twice leaves
# one copy, a new config replaces the old, --uninstall removes exactly netra's rules (and leaves
# someone else's), --dry-run and a bad value change nothing.
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
[ "$(id -u)" -eq 0 ] || die "needs root"
NS=netra-init-test-$$
ip netns add "$NS"
ERR=$(mktemp)
trap 'ip netns del "$NS" 2>/dev/null || true; rm -f "$ERR"' EXIT
run() { ip netns exec "$NS" "$@"; }
nat() { run iptables-save -t nat 2>/dev/null | grep -vE '^(#|:[A-Z]+ [A-Z]+ )' | sed 's/\[[0-9:]*\]//'; }
fail() { echo "test-init: FAIL: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); } # one check that held

run iptables -t nat -N OTHER
run iptables -t nat -A OUTPUT -p tcp --dport 9 -j OTHER
before=$(nat)

run env NETRA_OUTBOUND_PROBABILITY=0.5 "$NETRA_ROOT/bin/netra" init >/dev/null
once=$(nat)
run env NETRA_OUTBOUND_PROBABILITY=0.5 "$NETRA_ROOT/bin/netra" init >/dev/null
[ "$(nat)" = "$once" ] || fail "applying twice changed the rules"
ok
[ "$(nat | grep -c -- '-j NETRA_OUTBOUND')" -eq 1 ] || fail "more than one jump to NETRA_OUTBOUND"
ok

run env OUTBOUND_INTERCEPT_PORTS=80 "$NETRA_ROOT/bin/netra" init >/dev/null
nat | grep -q -- '--dport 80 -j REDIRECT' || fail "the new config was not applied"
ok
nat | grep -q 'probability' && fail "the old config's jump survived"
[ "$(nat | grep -c -- '-j NETRA_OUTBOUND')" -eq 1 ] || fail "more than one jump after a new config"
ok

applied=$(nat)
run "$NETRA_ROOT/bin/netra" init --dry-run | grep -q '^\*nat' || fail "--dry-run printed no ruleset"
ok
[ "$(nat)" = "$applied" ] || fail "--dry-run changed the rules"
ok
if run env NETRA_SIDECAR_PORT=0 "$NETRA_ROOT/bin/netra" init 2>"$ERR"; then fail "a bad port was accepted"; fi
ok
grep -q "NETRA_SIDECAR_PORT='0' is invalid" "$ERR" || fail "the error does not name the variable"
ok
[ "$(nat)" = "$applied" ] || fail "a bad value changed the rules"
ok

run "$NETRA_ROOT/bin/netra" init --uninstall >/dev/null
[ "$(nat)" = "$before" ] || { diff <(echo "$before") <(nat) >&2; fail "--uninstall did not restore the table"; }
ok
run "$NETRA_ROOT/bin/netra" init --uninstall >/dev/null || fail "a second --uninstall failed"
ok
echo "test-init: $passed passed, 0 failed"
