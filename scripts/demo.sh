#!/usr/bin/env bash
# Install blogsearch into .venv, index the sample posts in data/posts into ./index,
# and serve the search page and API on http://127.0.0.1:${PORT:-8000}/
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv || { echo "creating .venv failed (on Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
# --rebuild: the demo index is throwaway, and one left by an older blogsearch
# (another index format) would otherwise only get the rebuild message
.venv/bin/blogsearch index --posts data/posts --index index --rebuild
exec .venv/bin/blogsearch serve --index index --host 127.0.0.1 --port "${PORT:-8000}"
