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
# Overlapping paths: a folder and a file inside it run that file once.
"$BIN" scenarios run scenarios/fixtures scenarios/fixtures/payment_intent_succeeded.json > "$TMP/out" 2>&1
check "a folder plus a file inside it is one scenario" 0 $? "$TMP/out" "4 passed, 0 failed"
# A suite of its own: orphan goldens, renames, failures at the end, colors.
mkdir -p "$TMP/proj/scenarios" "$TMP/proj/goldens" && cp -r scenarios/fixtures/. "$TMP/proj/scenarios/"
for f in scenarios/fixtures/*.json; do cp "goldens/$(basename "$f")" "$TMP/proj/goldens/"; done
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run > "$TMP/out" 2>&1); check "own project passes" 0 $? "$TMP/out"
! grep -q "Goldens without a scenario" "$TMP/out"; check "no orphans, no orphan line" 0 $?
echo '{}' > "$TMP/proj/goldens/gone_scenario.json"
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run > "$TMP/out" 2>&1); check "orphan goldens are listed" 0 $? "$TMP/out" "Goldens without a scenario (deleted or renamed? \`--update --prune\` deletes them): gone_scenario."
mv "$TMP/proj/scenarios/trial_then_decline.json" "$TMP/proj/scenarios/trial_then_decline_v2.json"
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run > "$TMP/out" 2>&1); check "a renamed scenario fails" 1 $? "$TMP/out" "renamed? git mv goldens/trial_then_decline.json goldens/trial_then_decline_v2.json"
tail -3 "$TMP/out" | grep -q "passed, 1 failed"; check "the counts end the output" 0 $?
grep -q "^Failures (1):" "$TMP/out"; check "failures are repeated at the end" 0 $?
mv "$TMP/proj/scenarios/trial_then_decline_v2.json" "$TMP/proj/scenarios/trial_then_decline.json"
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run --update --prune > "$TMP/out" 2>&1); check "--update --prune deletes orphans" 0 $? "$TMP/out" "Deleted 1 golden"
[ ! -e "$TMP/proj/goldens/gone_scenario.json" ]; check "the orphan is gone" 0 $?
(cd "$TMP/proj" && FORCE_COLOR=1 "$BIN" scenarios run --verbose > "$TMP/out" 2>&1); grep -q $'\e\[32m' "$TMP/out"; check "FORCE_COLOR colors a pipe" 0 $?
(cd "$TMP/proj" && NO_COLOR=1 FORCE_COLOR=1 "$BIN" scenarios run > "$TMP/out" 2>&1); ! grep -q $'\e\[' "$TMP/out"; check "NO_COLOR wins" 0 $?
# Isolation: a scenario that traps or hangs fails alone; the run ends with its summary and reports.
(cd "$TMP/proj" && EFFINITY_TEST_CRASH_SCENARIO=payment_intent_succeeded "$BIN" scenarios run --junit out/j.xml --json out/r.json > "$TMP/out" 2>&1)
check "a trapping scenario fails alone" 1 $? "$TMP/out" "3 passed, 1 failed"
grep -q "crashed (signal" "$TMP/out"; check "the crash is reported with its signal" 0 $?
grep -q 'classname="scenarios.payment_intent_succeeded"' "$TMP/proj/out/j.xml" && grep -q "<error " "$TMP/proj/out/j.xml"
check "JUnit is written and names the crashed scenario" 0 $?
(cd "$TMP/proj" && EFFINITY_TEST_HANG_SCENARIO=customer_subscription_created "$BIN" scenarios run --timeout 3 > "$TMP/out" 2>&1)
check "a hanging scenario times out alone" 1 $? "$TMP/out" "timed out after 3 s"
# Ctrl-C (SIGINT, sent by timeout in the foreground: a background job would ignore it) and SIGTERM
# while a scenario hangs: the run stops, reports what finished and exits 130.
(cd "$TMP/proj" && EFFINITY_TEST_HANG_SCENARIO=trial_then_decline timeout --preserve-status -s INT 15 \
  "$BIN" scenarios run --jobs 1 --junit out/int.xml > "$TMP/out" 2>&1)
check "Ctrl-C exits 130" 130 $? "$TMP/out" "Interrupted"
(cd "$TMP/proj" && EFFINITY_TEST_HANG_SCENARIO=trial_then_decline timeout --preserve-status -s TERM 15 \
  "$BIN" scenarios run --jobs 1 --junit out/term.xml > "$TMP/out" 2>&1)
check "SIGTERM exits 130" 130 $? "$TMP/out" "Interrupted"
grep -q 'tests="3"' "$TMP/proj/out/int.xml" && grep -q 'tests="3"' "$TMP/proj/out/term.xml"
check "an interrupted run writes its reports for the 3 that finished" 0 $?
# JUnit errors: a crash is an <error>, not a <failure>.
grep -q 'errors="1"' "$TMP/proj/out/j.xml" && grep -q "<error " "$TMP/proj/out/j.xml"; check "a crash is a JUnit error" 0 $?
# --fail-fast: after the first failure nothing else starts; the rest are skipped in the reports.
(cd "$TMP/proj" && EFFINITY_TEST_CRASH_SCENARIO=customer_subscription_created "$BIN" scenarios run --jobs 1 --fail-fast \
  --junit out/ff.xml --json out/ff.json > "$TMP/out" 2>&1)
check "--fail-fast stops after the first failure" 1 $? "$TMP/out" "3 skipped"
grep -q 'skipped="3"' "$TMP/proj/out/ff.xml" && grep -q '"skipped": 3' "$TMP/proj/out/ff.json"; check "skipped scenarios are in both reports" 0 $?
# Invalid files still get reports (each file as an error) and exit 2.
"$BIN" scenarios run Tests/scenario-invalid --junit "$TMP/inv/j.xml" --json "$TMP/inv/r.json" > "$TMP/out" 2>&1
check "an invalid file exits 2" 2 $? "$TMP/out" "problems found"
grep -q "<error message=\"invalid scenario" "$TMP/inv/j.xml" && grep -q '"failed": 1' "$TMP/inv/r.json"; check "reports name the invalid file" 0 $?
# The JSON report keeps snapshots of failures only, unless --json-snapshots all.
(cd "$TMP/proj" && "$BIN" scenarios run --json out/few.json > /dev/null 2>&1; "$BIN" scenarios run --json out/all.json --json-snapshots all > /dev/null 2>&1)
! grep -q '"snapshots"' "$TMP/proj/out/few.json" && grep -q '"snapshots"' "$TMP/proj/out/all.json"; check "--json-snapshots" 0 $?
# GitHub Actions annotations, one per failure.
(cd "$TMP/proj" && GITHUB_ACTIONS=true EFFINITY_TEST_CRASH_SCENARIO=payment_intent_succeeded "$BIN" scenarios run > "$TMP/out" 2>&1)
grep -q "^::error file=.*payment_intent_succeeded.json,title=scenario payment_intent_succeeded failed::" "$TMP/out"; check "GitHub annotations" 0 $?
# --durations balances shards by an earlier report: every scenario in exactly one shard.
(cd "$TMP/proj" && for i in 1 2; do "$BIN" scenarios list > /dev/null; "$BIN" scenarios run --shard $i/2 --durations out/all.json --json out/s$i.json > /dev/null 2>&1; done)
n1=$(grep -c '"name"' "$TMP/proj/out/s1.json"); n2=$(grep -c '"name"' "$TMP/proj/out/s2.json")
[ $((n1 + n2)) = 4 ] && [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ]; check "--durations splits the suite" 0 $?
"$BIN" --version > "$TMP/out" 2>&1; check "--version" 0 $? "$TMP/out" "effinity 0."
# A subfolder run knows nothing of the other scenarios' goldens: no orphans listed.
"$BIN" scenarios run scenarios/fixtures > "$TMP/out" 2>&1; ! grep -q "Goldens without a scenario" "$TMP/out"; check "a subfolder lists no orphans" 0 $?
echo "runner CLI: $passed passed, $failed failed"
[ "$failed" = 0 ]
