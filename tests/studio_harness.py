"""A running studio without a browser: the parts app.py serves, put together by the same
factory (lib/server/app.py: store, tracker, the studio's routes, the embedded Wave API
mounted at /wave), on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from lib.config import StudioConfig
from lib.embedded_wave import EmbeddedWave
from lib.embedded_wave.background import free_port
from lib.engine.runtime import Studio
from lib.engine.tracker import TrackerSettings
from lib.server.app import StudioServer, embedded_settings
from lib.wave import WaveClient

ROOT = Path(__file__).resolve().parents[1]  # the project
STUDIO = str(ROOT / "studio.py")  # the main script AppTest runs, as the server does


@dataclass
class RunningStudio:
    studio: Studio
    wave: EmbeddedWave
    base_url: str

    def counters(self) -> dict[str, int]:
        return self.wave.counters.snapshot()


def studio_config(data_dir: Path, **changes: Any) -> StudioConfig:
    config = StudioConfig(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'studio.sqlite3'}",
        callback_secret="test-callback-secret",
    )
    return replace(config, **changes)


def no_names(host: str, port: int) -> list:
    """A name server that knows no names (links to example.com and the like)."""
    raise socket.gaierror(socket.EAI_NONAME, f"{host} is not known in tests")


@contextmanager
def running_studio(
    data_dir: Path,
    *,
    callbacks: bool = True,
    port: int | None = None,
    wave_changes: dict[str, Any] | None = None,
    tracker_changes: dict[str, Any] | None = None,
    config_changes: dict[str, Any] | None = None,
    client_changes: dict[str, Any] | None = None,
) -> Iterator[RunningStudio]:
    port = port or free_port()
    config = studio_config(data_dir, callbacks=callbacks, **(config_changes or {}))
    # Always a practice service, sped up, with its counters (a studio with a key too).
    fast = {"time_scale": 0.02, "admin": True, **(wave_changes or {})}
    wave = EmbeddedWave(replace(embedded_settings(config), **fast))
    parts = StudioServer(config, wave)
    tracker_settings = None
    if tracker_changes is not None:
        tracker_settings = TrackerSettings(use_callbacks=callbacks, **tracker_changes)
    client = None
    if client_changes is not None:
        ready = config.with_port(port)
        client = WaveClient(ready.wave_base_url, ready.api_key(), **client_changes)
    studio = parts.open(port, tracker_settings=tracker_settings, client=client)
    studio.link_resolver = no_names  # pasted links never reach the internet from a test
    app = Starlette(routes=parts.routes())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the studio server did not start"
        time.sleep(0.02)
    parts.start()
    try:
        yield RunningStudio(studio, wave, f"http://127.0.0.1:{port}")
    finally:
        parts.stop()
        server.should_exit = True
        thread.join(timeout=15)
