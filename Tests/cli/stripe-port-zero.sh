#!/usr/bin/env bash
# `effinity stripe --port 0` listens on a free port and hands out URLs that carry it.
#   bash Tests/cli/stripe-port-zero.sh BIN
set -euo pipefail
trap 'echo "FAIL stripe-port-zero.sh line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
BIN=${1:?usage: $0 BIN}
OUT=$(mktemp)
"$BIN" stripe --port 0 --in-memory > "$OUT" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$OUT" && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$OUT")
[ -n "$PORT" ] && [ "$PORT" != 0 ] || { echo "FAIL no port in the banner:"; cat "$OUT"; exit 1; }
KEY=sk_test_portzero
PRICE=$(curl -sS --max-time 10 -u "$KEY:" "http://127.0.0.1:$PORT/v1/prices" -d currency=usd -d unit_amount=500 -d "recurring[interval]=month" \
  -d "product_data[name]=P" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
URL=$(curl -sS --max-time 10 -u "$KEY:" "http://127.0.0.1:$PORT/v1/checkout/sessions" -d mode=subscription -d "line_items[0][price]=$PRICE" \
  -d "line_items[0][quantity]=1" -d success_url=https://x.test | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
case "$URL" in
  "http://127.0.0.1:$PORT/"*) echo "ok   --port 0: listening on $PORT, Checkout URL $URL" ;;
  *) echo "FAIL --port 0: listening on $PORT but the Checkout URL is $URL"; exit 1 ;;
esac
