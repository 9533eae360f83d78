#!/usr/bin/env bash
# Builds a release tarball of effinity whose binary runs without the Swift toolchain: the Swift
# runtime and Foundation are linked in (--static-swift-stdlib); it needs only the system's libc,
# libstdc++, libsqlite3, libssl/libcrypto and zlib (Debian: libsqlite3-0 libssl3 zlib1g).
#
#   bash scripts/release-tarball.sh [OUT_DIR]        # default dist/
#   BIN=path/to/effinity bash scripts/release-tarball.sh   # package a binary already built
#
# Then checks the result as a user without Swift would run it: no Swift library among its
# dependencies, and it starts with an empty environment (no PATH to the toolchain, no
# LD_LIBRARY_PATH) from the unpacked tarball: --version, and a fake Stripe answering one request.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/dist}
cd "$ROOT"
if [ -z "${BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product effinity --scratch-path .build-release
  BIN=.build-release/release/effinity
fi
VERSION=$("$BIN" --version | awk '{print $2}')
NAME="effinity-$VERSION-linux-$(uname -m)"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/$NAME/bin" "$OUT"
cp "$BIN" "$STAGE/$NAME/bin/effinity"
strip "$STAGE/$NAME/bin/effinity" 2>/dev/null || true
cp README.md "$STAGE/$NAME/"
cp -r scenarios "$STAGE/$NAME/scenarios"
tar -C "$STAGE" -czf "$OUT/$NAME.tar.gz" "$NAME"
echo "wrote $OUT/$NAME.tar.gz ($(du -h "$OUT/$NAME.tar.gz" | cut -f1))"

# The checks, on a fresh unpack.
CHECK=$(mktemp -d)
tar -C "$CHECK" -xzf "$OUT/$NAME.tar.gz"
EXE="$CHECK/$NAME/bin/effinity"
if ldd "$EXE" | grep -Ei 'swift|Foundation|dispatch|icu' ; then
  echo "FAIL: the binary links Swift toolchain libraries (above)"; exit 1
fi
env -i LD_LIBRARY_PATH=/nonexistent "$EXE" --version
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i LD_LIBRARY_PATH=/nonexistent "$EXE" stripe --in-memory --port "$PORT" > "$CHECK/log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$CHECK/log" && break; sleep 0.1; done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -u sk_test_x: "http://127.0.0.1:$PORT/v1/customers" -d email=a@b.test)
kill $PID
rm -rf "$CHECK"
[ "$STATUS" = 200 ] || { echo "FAIL: the unpacked binary answered $STATUS"; exit 1; }
echo "ok: runs without the toolchain (no Swift libraries linked, empty environment), answered 200"
