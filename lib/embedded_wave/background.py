"""Serve the embedded Wave API from a background thread (tests, benchmarks, tools).

`with serve_in_background(settings) as running:` gives a live server on a free port of
127.0.0.1, reachable over real HTTP, with its engine and counters at hand.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from lib.embedded_wave.server import EmbeddedWave
from lib.embedded_wave.settings import EmbeddedSettings


@dataclass
class RunningWave:
    wave: EmbeddedWave
    base_url: str  # "http://127.0.0.1:PORT" (no trailing slash)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_background(
    settings: EmbeddedSettings, port: int | None = None
) -> Iterator[RunningWave]:
    wave = EmbeddedWave(settings)
    port = port or free_port()
    config = uvicorn.Config(
        wave.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"embedded-wave-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the embedded Wave API did not start")
        time.sleep(0.02)
    try:
        yield RunningWave(wave, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=15)
