#!/usr/bin/env bash
# A fake Stripe that crashes frees its port at once: `effinity stripe` is started, killed with
# SIGSEGV (as a trap would), and a second one must bind the same port within a second, while
# the first is still writing its backtrace.
set -euo pipefail
trap 'echo "crash-restart: FAILED at line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
BIN=${1:?usage: $0 BIN}
PORT=${2:-12477}
LOG=$(mktemp -d)
"$BIN" stripe --port "$PORT" > "$LOG/first.log" 2>&1 &
FIRST=$!
started=0
for _ in $(seq 1 200); do
  if grep -q "listening" "$LOG/first.log" 2>/dev/null; then started=1; break; fi
  kill -0 "$FIRST" 2>/dev/null || break
  sleep 0.05
done
[ "$started" = 1 ] || { echo "crash-restart: FAILED, the first fake never listened on port $PORT:"; cat "$LOG/first.log"; kill -9 "$FIRST" 2>/dev/null || true; exit 1; }
kill -SEGV "$FIRST"
sleep 0.2
"$BIN" stripe --port "$PORT" > "$LOG/second.log" 2>&1 &
SECOND=$!
ok=0
for _ in $(seq 1 20); do
  if grep -q "listening" "$LOG/second.log" 2>/dev/null; then ok=1; break; fi
  if ! kill -0 "$SECOND" 2>/dev/null; then break; fi
  sleep 0.05
done
# Both are killed here on purpose (the first crashed already): their exit statuses say nothing.
kill -9 "$SECOND" "$FIRST" 2>/dev/null || true
wait "$SECOND" "$FIRST" 2>/dev/null || true
if [ "$ok" = 1 ]; then
  echo "crash-restart: a second fake bound port $PORT within a second of the first one's crash"
else
  echo "crash-restart: FAILED, the second fake could not bind port $PORT:"; cat "$LOG/second.log"; exit 1
fi
