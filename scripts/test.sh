#!/usr/bin/env bash
# Install what the tests need (first run only), check the code style and the layers of
# lib/ (.importlinter), run every test.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k callbacks`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
# What the tests start themselves, from Debian's packages (nothing downloaded from
# elsewhere, nothing left running as a system service):
# - Chromium for the browser tests;
# - Node.js and npm for the real OpenID Connect provider the sign-in tests use
#   (tests/oidc_provider; tests/oidc.py runs `npm ci` there when needed);
# - PostgreSQL and nginx for tests/services, each started on a free port.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} for the tests (first run only)..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
exec .venv/bin/pytest "$@"
