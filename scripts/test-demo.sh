#!/usr/bin/env bash
# The demo N times in a row (default 30), for what fails only now and then (the IPv6 step was
# seen skipped once): prints each failed run's reason and a count. Not part of CI: run it by hand,
# also under load (stress-ng or a bench beside it). usage: scripts/test-demo.sh [N]
set -euo pipefail
NETRA_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$NETRA_ROOT/scripts/lib.sh"
n=${1:-30}
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 1000 ] || die "test-demo: N must be 1-1000, not '$n'"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
passed=0 failed=0
for i in $(seq 1 "$n"); do
  if "$NETRA_ROOT/bin/netra" demo >"$out" 2>&1 && grep -q '^  OK echo conns=4' "$out" \
      && grep -q 'original destination \[fd77::2\]:8080' "$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "run $i failed:" >&2
    grep -E 'note:|FAIL|error|Error' "$out" | head -5 >&2 || tail -5 "$out" >&2
  fi
done
echo "test-demo: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
