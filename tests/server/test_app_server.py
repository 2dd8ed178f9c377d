"""`streamlit run app.py` starts the studio, with the embedded Wave API mounted in-process."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from lib.embedded_wave.background import free_port
from tests.studio_harness import ROOT
from tests.waiting import wait_until_up


def test_streamlit_run_serves_the_studio_and_the_embedded_api(tmp_path):
    port = free_port()
    env = {**os.environ, "STUDIO_DATA_DIR": str(tmp_path / "data")}
    env.pop("WAVE_API_KEY", None)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    log = tmp_path / "studio.log"
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_until_up(f"{base}/api/health", process, 90, log.read_text)
        assert health.json()["status"] == "ok"
        assert health.json()["backend"] == "embedded"
        assert health.json()["backend_label"] == "Demo — embedded Wave API"
        page = requests.get(base, timeout=10)
        assert page.status_code == 200 and "streamlit" in page.text.lower()

        body = {"model": "grok-imagine-1.0-video", "prompt": "a red kite over a beach"}
        reply = requests.post(
            f"{base}/wave/v1/tasks", json=body, headers={"Authorization": "Bearer x"}, timeout=10
        )
        task = reply.json()
        assert task["status"] == "queued"
        assert task["urls"]["get"] == f"{base}/wave/v1/tasks/{task['task_id']}"
        state = requests.get(task["urls"]["get"], headers={"Authorization": "Bearer x"}, timeout=10)
        assert state.json()["task_id"] == task["task_id"]
        assert (tmp_path / "data" / "embedded-wave" / "tasks.sqlite3").is_file()
        assert (tmp_path / "data" / "studio.sqlite3").is_file()  # the store, migrated
        # The practice service's counters and fault switches stay off unless asked for.
        assert requests.get(f"{base}/wave/_embedded/counters", timeout=10).status_code == 404
        # The terminal says plainly that this is demo mode.
        assert "Demo mode: practice videos made on this computer, no cost" in log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
