#!/usr/bin/env bash
# Install what the tests need (first run only), check the code style, run every test.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k callbacks`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
# The browser tests drive Debian's Chromium (no browser downloads from elsewhere).
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests (first run only)..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# The real services of tests/services: PostgreSQL and nginx, Debian's packages, each
# started by the tests themselves on a free port (nothing runs as a system service).
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} for the service tests (first run only)..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
