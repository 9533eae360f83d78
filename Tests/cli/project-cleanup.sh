#!/usr/bin/env bash
# A project run interrupted mid-suite leaves nothing behind: Ctrl-C (SIGINT to the runner's
# process group, as a terminal sends it) stops the app processes and removes the worlds; a runner
# killed with SIGKILL cannot clean up, and the next run sweeps what it left.
#   bash Tests/cli/project-cleanup.sh BIN
set -euo pipefail
trap 'echo "FAIL project-cleanup.sh line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
BIN=$(cd "$(dirname "${1:?usage: $0 BIN}")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR" "$WORK/project/scenarios"
cp "$ROOT/Tests/project-fixture/app.py" "$ROOT/Tests/project-fixture/effinity.json" "$WORK/project/"
# Two scenarios that each hang in the app, so the run is mid-suite when it is stopped.
for n in 1 2; do
  cat > "$WORK/project/scenarios/slow_$n.json" <<JSON
{ "_meta": { "template_version": 0, "name": "slow_$n" },
  "given": { "orgs": ["acme"], "users": [{ "email": "u$n@acme.test", "org": "acme", "as": "u" }] },
  "fixtures": [ { "kind": "app", "as": "u", "method": "get", "path": "/api/slow" } ] }
JSON
done
RUNNER=""
cleanup() {
  [ -n "$RUNNER" ] && kill -KILL -- "-$RUNNER" 2>/dev/null || true
  pkill -KILL -f "scenarios (run|worker) .*$WORK/project" 2>/dev/null || true
  for env in /proc/[0-9]*/environ; do
    { tr '\0' '\n' < "$env"; } 2>/dev/null | grep -q "^EFFINITY_WORLD=$TMPDIR/" && kill -KILL "$(basename "$(dirname "$env")")" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Processes of this test's worlds: their environment names a world under $TMPDIR.
world_processes() {
  local n=0
  for env in /proc/[0-9]*/environ; do
    { tr '\0' '\n' < "$env"; } 2>/dev/null | grep -q "^EFFINITY_WORLD=$TMPDIR/" && n=$((n + 1))
  done
  echo "$n"
}
worlds() { find "$TMPDIR/effinity-worlds" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# Waits until both scenarios' apps are inside /api/slow.
wait_busy() {
  for _ in $(seq 1 300); do
    [ "$(grep -l "slow request started" "$TMPDIR"/effinity-worlds/*/app.log 2>/dev/null | wc -l)" -ge 2 ] && return 0
    sleep 0.1
  done
  echo "FAIL the apps never got busy"; cat "$WORK/run.log"; exit 1
}

# 1. Ctrl-C: SIGINT to the runner's whole process group.
setsid "$BIN" scenarios run --project "$WORK/project" --jobs 2 > "$WORK/run.log" 2>&1 &
RUNNER=$!
wait_busy
[ "$(world_processes)" -ge 2 ] || { echo "FAIL no app processes while busy"; exit 1; }
kill -INT -- "-$RUNNER"
rc=0; wait "$RUNNER" || rc=$?
RUNNER=""
[ "$rc" = 130 ] || { echo "FAIL the interrupted runner exited $rc, not 130"; cat "$WORK/run.log"; exit 1; }
left=$(world_processes); folders=$(worlds)
[ "$left" = 0 ] && [ "$folders" = 0 ] || { echo "FAIL after Ctrl-C: $left app processes and $folders world folders left"; exit 1; }
echo "ok   Ctrl-C mid-suite: exit 130, no app process and no world left"

# 2. SIGKILL to the runner and its workers: the apps stay (nothing could stop them) until the next run sweeps them.
setsid "$BIN" scenarios run --project "$WORK/project" --jobs 2 > "$WORK/run.log" 2>&1 &
RUNNER=$!
wait_busy
# The runner and its scenario workers (each worker is in a process group of its own, as each app is).
pkill -KILL -f "scenarios (run|worker) .*$WORK/project" || true
wait "$RUNNER" 2>/dev/null || true
RUNNER=""
[ "$(world_processes)" -ge 2 ] || { echo "FAIL expected the killed run's apps to be left running"; exit 1; }
rm "$WORK"/project/scenarios/slow_*.json
cp "$ROOT/Tests/project-fixture/scenarios/customer_and_time.json" "$WORK/project/scenarios/"
mkdir -p "$WORK/project/goldens"
cp "$ROOT/Tests/project-fixture/goldens/customer_and_time.json" "$WORK/project/goldens/"
CI=true "$BIN" scenarios run --project "$WORK/project" > "$WORK/run.log" 2>&1 || { echo "FAIL the next run failed"; cat "$WORK/run.log"; exit 1; }
grep -q "Cleaned up worlds an earlier run left behind" "$WORK/run.log" || { echo "FAIL the next run did not say it swept"; cat "$WORK/run.log"; exit 1; }
left=$(world_processes); folders=$(worlds)
[ "$left" = 0 ] && [ "$folders" = 0 ] || { echo "FAIL after the sweep: $left app processes and $folders world folders left"; exit 1; }
echo "ok   SIGKILL mid-suite: the next run swept the apps and worlds left behind, and passed"
