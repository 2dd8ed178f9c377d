#!/usr/bin/env bash
# Install what the studio needs (first run only) and start it: http://localhost:8501
# With no WAVE_API_KEY it runs on the embedded Wave API, with nothing else to set up.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements.txt
exec .venv/bin/streamlit run app.py "$@"
