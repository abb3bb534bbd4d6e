#!/usr/bin/env bash
# Install blogsearch with its test dependencies into .venv, then run every test.
# Extra arguments go to pytest, e.g. scripts/test.sh -k golden
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv || { echo "creating .venv failed (on Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
