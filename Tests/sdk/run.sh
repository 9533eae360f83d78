#!/usr/bin/env bash
# Official stripe-python SDK compatibility suite for the effinity Stripe emulator.
# Usage: bash Tests/sdk/run.sh [pytest args...]
#   VENV        virtualenv to create/use (default: .venv, relative to repo root)
#   EFFINITY_BIN path to the effinity binary (default: .build/debug/effinity in the repo)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || exit 2
fi
if ! "$VENV/bin/python" -c 'import stripe, pytest, sys; sys.exit(0 if stripe.VERSION == "16.1.0" else 1)' 2>/dev/null; then
  "$VENV/bin/pip" install -q -r Tests/sdk/requirements.txt || exit 2
fi
exec "$VENV/bin/python" -m pytest -q Tests/sdk "$@"
