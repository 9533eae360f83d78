#!/usr/bin/env bash
# The pinned-version SDK tests under older official stripe-python majors, each in its own cached
# venv (.venv-stripe-<major>): 5.x pins no version (the account default, 2020-08-27), 7.x
# 2023-10-16, 10.x 2024-06-20, 11.x acacia, 12.x basil.
#   bash Tests/sdk/pinned/run.sh [MAJOR ...]      EFFINITY_BIN: the binary (default .build/debug/effinity)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT" || exit 2
majors=("$@")
if [ ${#majors[@]} -eq 0 ]; then majors=(5 7 10 11 12); fi
failed=0
for major in "${majors[@]}"; do
  venv=".venv-stripe-$major"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import stripe.version, sys; sys.exit(0 if stripe.version.VERSION.split('.')[0] == '$major' else 1)" 2>/dev/null; then
    python3 -m venv "$venv" && "$venv/bin/pip" install -q "stripe==$major.*" pytest || exit 2
  fi
  sdk=$("$venv/bin/python" -c 'import stripe, stripe.version; print(stripe.version.VERSION, "pins", stripe.api_version or "no version (the account default)")')
  echo "== stripe-python $sdk"
  # A failing major is reported by pytest and counted; the others still run.
  "$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/sdk/pinned || { echo "FAILED: stripe-python $major"; failed=1; }
done
exit $failed
