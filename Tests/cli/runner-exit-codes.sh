#!/usr/bin/env bash
# The scenario runner as a CI tool: exit codes and failure modes a pipeline relies on.
#   bash Tests/cli/runner-exit-codes.sh BIN
# Prints "N passed, N failed" at the end; exits 1 if any check failed.
set -euo pipefail
BIN=${1:?usage: $0 BIN}
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# A step expected to succeed that does not stops the script, saying where (set -e alone is silent).
trap 'echo "FAIL runner-exit-codes.sh line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
passed=0; failed=0
check() {  # check NAME EXPECTED_CODE ACTUAL_CODE [OUTPUT_FILE PATTERN]
  local name=$1 want=$2 got=$3 file=${4:-} pattern=${5:-}
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, expected $want"; [ -n "$file" ] && tail -5 "$file"; failed=$((failed + 1)); return; fi
  if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$file"; then echo "FAIL $name: output lacks '$pattern'"; tail -5 "$file"; failed=$((failed + 1)); return; fi
  echo "ok   $name"; passed=$((passed + 1))
}
mkdir -p "$TMP/empty"
env -u CI "$BIN" scenarios run "$TMP/empty" --goldens "$TMP/g" > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "empty folder is a failure" 1 $rc "$TMP/out" "No scenario matched"
env -u CI "$BIN" scenarios run scenarios --name 'no-such-*' > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "a --name matching nothing is a failure" 1 $rc "$TMP/out" "allow-empty"
env -u CI "$BIN" scenarios run scenarios --tag no-such-tag > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "a mistyped --tag is a failure" 1 $rc "$TMP/out"
env -u CI "$BIN" scenarios run scenarios --name 'no-such-*' --allow-empty > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "--allow-empty accepts an empty selection" 0 $rc "$TMP/out"
CI=1 "$BIN" scenarios run scenarios/fixtures --update > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "CI=1 --update is refused" 2 $rc "$TMP/out" "CI must not"
env -u CI "$BIN" scenarios run scenarios/fixtures --update --ci > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "--ci --update is refused" 2 $rc "$TMP/out" "CI must not"
"$BIN" scenarios run --no-such-option > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "an unknown option is usage, exit 2" 2 $rc "$TMP/out" "Usage"
"$BIN" scenarios run --jobs 0 > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "an invalid value is usage, exit 2" 2 $rc "$TMP/out" "jobs"
"$BIN" scenarios run scenarios/fixtures --junit "$TMP/deep/er/report.xml" --json "$TMP/deep/r.json" > "$TMP/out" 2>&1 && rc=0 || rc=$?
check "reports create their folders" 0 $rc "$TMP/out"
[ -s "$TMP/deep/er/report.xml" ] && [ -s "$TMP/deep/r.json" ] && rc=0 || rc=$?; check "both reports written" 0 $rc
grep -q 'classname="scenarios.fixtures.payment_intent_succeeded"' "$TMP/deep/er/report.xml" && rc=0 || rc=$?; check "JUnit classname from the project root" 0 $rc
set +e; "$BIN" scenarios list | true; codes=("${PIPESTATUS[@]}"); set -e; check "a closed pipe is not a crash" 0 "${codes[0]}"
# Overlapping paths: a folder and a file inside it run that file once.
"$BIN" scenarios run scenarios/fixtures scenarios/fixtures/payment_intent_succeeded.json > "$TMP/out" 2>&1 && rc=0 || rc=$?
check "a folder plus a file inside it is one scenario" 0 $rc "$TMP/out" "4 passed, 0 failed"
# A suite of its own: orphan goldens, renames, failures at the end, colors.
mkdir -p "$TMP/proj/scenarios" "$TMP/proj/goldens" && cp -r scenarios/fixtures/. "$TMP/proj/scenarios/"
for f in scenarios/fixtures/*.json; do cp "goldens/$(basename "$f")" "$TMP/proj/goldens/"; done
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run > "$TMP/out" 2>&1) && rc=0 || rc=$?; check "own project passes" 0 $rc "$TMP/out"
! grep -q "Goldens without a scenario" "$TMP/out" && rc=0 || rc=$?; check "no orphans, no orphan line" 0 $rc
echo '{}' > "$TMP/proj/goldens/gone_scenario.json"
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run > "$TMP/out" 2>&1) && rc=0 || rc=$?; check "orphan goldens are listed" 0 $rc "$TMP/out" "Goldens without a scenario (deleted or renamed? \`--update --prune\` deletes them): gone_scenario."
mv "$TMP/proj/scenarios/trial_then_decline.json" "$TMP/proj/scenarios/trial_then_decline_v2.json"
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run > "$TMP/out" 2>&1) && rc=0 || rc=$?; check "a renamed scenario fails" 1 $rc "$TMP/out" "renamed? git mv goldens/trial_then_decline.json goldens/trial_then_decline_v2.json"
tail -3 "$TMP/out" | grep -q "passed, 1 failed" && rc=0 || rc=$?; check "the counts end the output" 0 $rc
grep -q "^Failures (1):" "$TMP/out" && rc=0 || rc=$?; check "failures are repeated at the end" 0 $rc
mv "$TMP/proj/scenarios/trial_then_decline_v2.json" "$TMP/proj/scenarios/trial_then_decline.json"
(cd "$TMP/proj" && env -u CI "$BIN" scenarios run --update --prune > "$TMP/out" 2>&1) && rc=0 || rc=$?; check "--update --prune deletes orphans" 0 $rc "$TMP/out" "Deleted 1 golden"
[ ! -e "$TMP/proj/goldens/gone_scenario.json" ] && rc=0 || rc=$?; check "the orphan is gone" 0 $rc
(cd "$TMP/proj" && FORCE_COLOR=1 "$BIN" scenarios run --verbose > "$TMP/out" 2>&1); grep -q $'\e\[32m' "$TMP/out" && rc=0 || rc=$?; check "FORCE_COLOR colors a pipe" 0 $rc
(cd "$TMP/proj" && NO_COLOR=1 FORCE_COLOR=1 "$BIN" scenarios run > "$TMP/out" 2>&1); ! grep -q $'\e\[' "$TMP/out" && rc=0 || rc=$?; check "NO_COLOR wins" 0 $rc
# Isolation: a scenario that traps or hangs fails alone; the run ends with its summary and reports.
(cd "$TMP/proj" && EFFINITY_TEST_CRASH_SCENARIO=payment_intent_succeeded "$BIN" scenarios run --junit out/j.xml --json out/r.json > "$TMP/out" 2>&1) && rc=0 || rc=$?
check "a trapping scenario fails alone" 1 $rc "$TMP/out" "3 passed, 1 failed"
grep -q "crashed (signal" "$TMP/out" && rc=0 || rc=$?; check "the crash is reported with its signal" 0 $rc
grep -q 'classname="scenarios.payment_intent_succeeded"' "$TMP/proj/out/j.xml" && grep -q "<error " "$TMP/proj/out/j.xml" && rc=0 || rc=$?
check "JUnit is written and names the crashed scenario" 0 $rc
(cd "$TMP/proj" && EFFINITY_TEST_HANG_SCENARIO=customer_subscription_created "$BIN" scenarios run --timeout 3 > "$TMP/out" 2>&1) && rc=0 || rc=$?
check "a hanging scenario times out alone" 1 $rc "$TMP/out" "timed out after 3 s"
# Ctrl-C (SIGINT, sent by timeout in the foreground: a background job would ignore it) and SIGTERM
# while a scenario hangs: the run stops, reports what finished and exits 130.
(cd "$TMP/proj" && EFFINITY_TEST_HANG_SCENARIO=trial_then_decline timeout --preserve-status -s INT 15 \
  "$BIN" scenarios run --jobs 1 --junit out/int.xml > "$TMP/out" 2>&1) && rc=0 || rc=$?
check "Ctrl-C exits 130" 130 $rc "$TMP/out" "Interrupted"
(cd "$TMP/proj" && EFFINITY_TEST_HANG_SCENARIO=trial_then_decline timeout --preserve-status -s TERM 15 \
  "$BIN" scenarios run --jobs 1 --junit out/term.xml > "$TMP/out" 2>&1) && rc=0 || rc=$?
check "SIGTERM exits 130" 130 $rc "$TMP/out" "Interrupted"
grep -q 'tests="3"' "$TMP/proj/out/int.xml" && grep -q 'tests="3"' "$TMP/proj/out/term.xml" && rc=0 || rc=$?
check "an interrupted run writes its reports for the 3 that finished" 0 $rc
# JUnit errors: a crash is an <error>, not a <failure>.
grep -q 'errors="1"' "$TMP/proj/out/j.xml" && grep -q "<error " "$TMP/proj/out/j.xml" && rc=0 || rc=$?; check "a crash is a JUnit error" 0 $rc
# --fail-fast: after the first failure nothing else starts; the rest are skipped in the reports.
(cd "$TMP/proj" && EFFINITY_TEST_CRASH_SCENARIO=customer_subscription_created "$BIN" scenarios run --jobs 1 --fail-fast \
  --junit out/ff.xml --json out/ff.json > "$TMP/out" 2>&1) && rc=0 || rc=$?
check "--fail-fast stops after the first failure" 1 $rc "$TMP/out" "3 skipped"
grep -q 'skipped="3"' "$TMP/proj/out/ff.xml" && grep -q '"skipped": 3' "$TMP/proj/out/ff.json" && rc=0 || rc=$?; check "skipped scenarios are in both reports" 0 $rc
# Invalid files still get reports (each file as an error) and exit 2.
"$BIN" scenarios run Tests/scenario-invalid --junit "$TMP/inv/j.xml" --json "$TMP/inv/r.json" > "$TMP/out" 2>&1 && rc=0 || rc=$?
check "an invalid file exits 2" 2 $rc "$TMP/out" "problems found"
grep -q "<error message=\"invalid scenario" "$TMP/inv/j.xml" && grep -q '"failed": 1' "$TMP/inv/r.json" && rc=0 || rc=$?; check "reports name the invalid file" 0 $rc
# The JSON report keeps snapshots of failures only, unless --json-snapshots all.
(cd "$TMP/proj" && "$BIN" scenarios run --json out/few.json > /dev/null 2>&1; "$BIN" scenarios run --json out/all.json --json-snapshots all > /dev/null 2>&1)
! grep -q '"snapshots"' "$TMP/proj/out/few.json" && grep -q '"snapshots"' "$TMP/proj/out/all.json" && rc=0 || rc=$?; check "--json-snapshots" 0 $rc
# GitHub Actions annotations, one per failure.
(cd "$TMP/proj" && GITHUB_ACTIONS=true EFFINITY_TEST_CRASH_SCENARIO=payment_intent_succeeded "$BIN" scenarios run > "$TMP/out" 2>&1) && rc=0 || rc=$?
check "a trapping scenario under GitHub Actions fails" 1 $rc "$TMP/out"
grep -q "^::error file=.*payment_intent_succeeded.json,title=scenario payment_intent_succeeded failed::" "$TMP/out" && rc=0 || rc=$?; check "GitHub annotations" 0 $rc
# --durations balances shards by an earlier report: every scenario in exactly one shard.
(cd "$TMP/proj" && for i in 1 2; do "$BIN" scenarios list > /dev/null; "$BIN" scenarios run --shard $i/2 --durations out/all.json --json out/s$i.json > /dev/null 2>&1; done)
n1=$(grep -c '"name"' "$TMP/proj/out/s1.json"); n2=$(grep -c '"name"' "$TMP/proj/out/s2.json")
[ $((n1 + n2)) = 4 ] && [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ] && rc=0 || rc=$?; check "--durations splits the suite" 0 $rc
"$BIN" --version > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "--version" 0 $rc "$TMP/out" "effinity 0."
# A subfolder run knows nothing of the other scenarios' goldens: no orphans listed.
"$BIN" scenarios run scenarios/fixtures > "$TMP/out" 2>&1; ! grep -q "Goldens without a scenario" "$TMP/out" && rc=0 || rc=$?; check "a subfolder lists no orphans" 0 $rc
# A project file with mistakes: every one with its JSON path, exit 2, nothing started.
mkdir -p "$TMP/badproject/scenarios"
echo '{"app": {"command": []}, "stripe": {"webhook_path": "hooks"}, "database": {"kind": "sqlite"}, "extra": 1}' > "$TMP/badproject/effinity.json"
"$BIN" scenarios run --project "$TMP/badproject" > "$TMP/out" 2>&1 && rc=0 || rc=$?
check "an invalid project file exits 2" 2 $rc "$TMP/out" "stripe.webhook_path: must start with /"
"$BIN" scenarios validate --project examples/effinity > "$TMP/out" 2>&1 && rc=0 || rc=$?; check "a valid project validates" 0 $rc "$TMP/out" " scenarios valid."
echo "runner CLI: $passed passed, $failed failed"
[ "$failed" = 0 ]
