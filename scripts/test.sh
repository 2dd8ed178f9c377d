#!/usr/bin/env bash
# Install what the tests need (first run only), check the code style, run every test.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k callbacks`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
