"""`python -m lib.embedded_wave --port N` serves the API on its own."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from lib.embedded_wave.background import free_port
from lib.outside.videos import probe_video
from tests.studio_harness import ROOT


def test_the_module_runs_as_a_server(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "lib.embedded_wave", "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "cli"), "--time-scale", "0.05"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        headers = {"Authorization": "Bearer cli-test-key"}
        body = {
            "model": "grok-imagine-1.0-video",
            "prompt": "A rainy night street under neon lights, cyberpunk vibe, slow camera push-in",
            "duration": 6,
            "aspect_ratio": "16:9",
            "resolution": "480p",
        }
        task = requests.post(f"{base}/v1/tasks", json=body, headers=headers, timeout=10).json()
        assert task["status"] == "queued"
        headers["Prefer"] = "wait=60"
        done = requests.get(
            f"{base}/v1/tasks/{task['task_id']}", headers=headers, timeout=90
        ).json()
        assert done["status"] == "completed", done
        video = requests.get(done["result"]["videos"][0]["url"][0], timeout=30)
        path = tmp_path / "out.mp4"
        path.write_bytes(video.content)
        assert (probe_video(path).width, probe_video(path).height) == (854, 480)
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert "Application shutdown complete" in output  # SIGTERM stops it cleanly


def test_links_to_this_machine_are_fetched_only_when_allowed(tmp_path):
    from lib.domain.links import LinkPolicy, parse_link
    from lib.embedded_wave.__main__ import parse_args, settings_from_args

    assert settings_from_args(parse_args([])).local_prefixes == ()
    args = parse_args(["--allow-local", "http://127.0.0.1:*/", "--data-dir", str(tmp_path)])
    settings = settings_from_args(args)
    assert settings.local_prefixes == ("http://127.0.0.1:*/",)
    policy = LinkPolicy.with_local(settings.local_prefixes)
    assert policy.is_local(parse_link("http://127.0.0.1:9000/a.png"))
    assert not policy.is_local(parse_link("http://10.0.0.1:9000/a.png"))
