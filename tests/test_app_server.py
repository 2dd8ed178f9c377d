"""`streamlit run app.py` starts the studio, with the embedded Wave API mounted in-process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from lib.embedded_wave.background import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_run_serves_the_studio_and_the_embedded_api(tmp_path):
    port = free_port()
    env = {**os.environ, "STUDIO_DATA_DIR": str(tmp_path / "data")}
    env.pop("WAVE_API_KEY", None)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"{base}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the studio did not start"
                time.sleep(0.3)
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
    finally:
        process.terminate()
        process.wait(timeout=30)
