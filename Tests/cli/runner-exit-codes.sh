#!/usr/bin/env bash
# The scenario runner as a CI tool: exit codes and failure modes a pipeline relies on.
#   bash Tests/cli/runner-exit-codes.sh BIN
# Prints "N passed, N failed" at the end; exits 1 if any check failed.
set -uo pipefail
BIN=${1:?usage: $0 BIN}
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0
check() {  # check NAME EXPECTED_CODE ACTUAL_CODE [OUTPUT_FILE PATTERN]
  local name=$1 want=$2 got=$3 file=${4:-} pattern=${5:-}
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, expected $want"; [ -n "$file" ] && tail -5 "$file"; failed=$((failed + 1)); return; fi
  if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$file"; then echo "FAIL $name: output lacks '$pattern'"; tail -5 "$file"; failed=$((failed + 1)); return; fi
  echo "ok   $name"; passed=$((passed + 1))
}
mkdir -p "$TMP/empty"
env -u CI "$BIN" scenarios run "$TMP/empty" --goldens "$TMP/g" > "$TMP/out" 2>&1; check "empty folder is a failure" 1 $? "$TMP/out" "No scenario matched"
env -u CI "$BIN" scenarios run scenarios --name 'no-such-*' > "$TMP/out" 2>&1; check "a --name matching nothing is a failure" 1 $? "$TMP/out" "allow-empty"
env -u CI "$BIN" scenarios run scenarios --tag no-such-tag > "$TMP/out" 2>&1; check "a mistyped --tag is a failure" 1 $? "$TMP/out"
env -u CI "$BIN" scenarios run scenarios --name 'no-such-*' --allow-empty > "$TMP/out" 2>&1; check "--allow-empty accepts an empty selection" 0 $? "$TMP/out"
CI=1 "$BIN" scenarios run scenarios/fixtures --update > "$TMP/out" 2>&1; check "CI=1 --update is refused" 2 $? "$TMP/out" "CI must not"
env -u CI "$BIN" scenarios run scenarios/fixtures --update --ci > "$TMP/out" 2>&1; check "--ci --update is refused" 2 $? "$TMP/out" "CI must not"
"$BIN" scenarios run --no-such-option > "$TMP/out" 2>&1; check "an unknown option is usage, exit 2" 2 $? "$TMP/out" "Usage"
"$BIN" scenarios run --jobs 0 > "$TMP/out" 2>&1; check "an invalid value is usage, exit 2" 2 $? "$TMP/out" "jobs"
"$BIN" scenarios run scenarios/fixtures --junit "$TMP/deep/er/report.xml" --json "$TMP/deep/r.json" > "$TMP/out" 2>&1
check "reports create their folders" 0 $? "$TMP/out"
[ -s "$TMP/deep/er/report.xml" ] && [ -s "$TMP/deep/r.json" ]; check "both reports written" 0 $?
grep -q 'classname="scenarios.fixtures.payment_intent_succeeded"' "$TMP/deep/er/report.xml"; check "JUnit classname from the project root" 0 $?
"$BIN" scenarios list | true; codes=("${PIPESTATUS[@]}"); check "a closed pipe is not a crash" 0 "${codes[0]}"
echo "runner CLI: $passed passed, $failed failed"
[ "$failed" = 0 ]
