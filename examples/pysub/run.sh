#!/bin/sh
# Runs app.py with a Python that has the pinned stripe package: a virtualenv in .venv, made on
# first use and again when requirements.txt changes (CI machines are fresh; never committed).
set -e
cd "$(dirname "$0")"
stamp=.venv/requirements.txt
if ! cmp -s requirements.txt "$stamp" 2>/dev/null; then
    # Scenarios start in parallel: one of them installs, the others wait for it.
    if command -v flock >/dev/null 2>&1; then exec 9>.venv.lock; flock 9; fi
    if ! cmp -s requirements.txt "$stamp" 2>/dev/null; then
        rm -rf .venv
        python3 -m venv .venv
        .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt >&2
        cp requirements.txt "$stamp"
    fi
    exec 9>&-
fi
exec .venv/bin/python app.py "$@"
