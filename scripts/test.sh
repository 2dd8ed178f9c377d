#!/usr/bin/env bash
# Install what the tests need (first run only), check the code style and the layers of
# lib/ (.importlinter), run every test.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k callbacks`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
# The browser tests drive Debian's Chromium (no browser downloads from elsewhere), and
# sign in through a real OpenID Connect provider that runs on Node.js (tests/oidc_provider;
# tests/oidc.py runs `npm ci` there when needed).
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "Installing$missing for the browser tests (first run only)..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086  # the list is meant to split into package names
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
exec .venv/bin/pytest "$@"
