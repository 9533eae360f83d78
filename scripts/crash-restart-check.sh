#!/usr/bin/env bash
# A fake Stripe that crashes frees its port at once: `effinity stripe` is started, killed with
# SIGSEGV (as a trap would), and a second one must bind the same port within a second, while
# the first is still writing its backtrace.
set -euo pipefail
BIN=${1:?usage: $0 BIN}
PORT=${2:-12477}
LOG=$(mktemp -d)
"$BIN" stripe --port "$PORT" > "$LOG/first.log" 2>&1 &
FIRST=$!
for _ in $(seq 1 100); do grep -q "listening" "$LOG/first.log" 2>/dev/null && break; sleep 0.05; done
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
kill -9 "$SECOND" "$FIRST" 2>/dev/null || true
wait "$SECOND" "$FIRST" 2>/dev/null || true
if [ "$ok" = 1 ]; then
  echo "crash-restart: a second fake bound port $PORT within a second of the first one's crash"
else
  echo "crash-restart: FAILED, the second fake could not bind port $PORT:"; cat "$LOG/second.log"; exit 1
fi
