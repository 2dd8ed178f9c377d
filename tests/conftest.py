"""Shared fixtures: an embedded Wave API on a free port, reached over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from lib.embedded_wave.background import RunningWave, serve_in_background
from lib.embedded_wave.settings import EmbeddedSettings
from tests.services.postgres import PostgresServer, postgres_server  # noqa: F401
from tests.services.s3 import S3Service, s3_service  # noqa: F401

SEED_PROMPT = "A rainy night street under neon lights, cyberpunk vibe, slow camera push-in"
# The model page's example request (shared/seed), exactly as it is written there.
SEED_BODY = {
    "model": "grok-imagine-1.0-video",
    "prompt": SEED_PROMPT,
    "duration": 6,
    "aspect_ratio": "16:9",
    "resolution": "480p",
}


# The test servers for pictures and callbacks (below) are on this machine: links to any
# of its ports may be fetched. Tests of the private-address refusal set this to ().
LOCAL_TEST_LINKS = ("http://127.0.0.1:*/",)


def fast_settings(data_dir: Path, **changes: Any) -> EmbeddedSettings:
    """Settings for tests: timings 50x shorter, links to this machine's test servers
    allowed, everything else as shipped."""
    settings = EmbeddedSettings(
        data_dir=data_dir, time_scale=0.02, admin=True, local_prefixes=LOCAL_TEST_LINKS
    )
    return replace(settings, **changes)


class WaveClient:
    """A thin requests wrapper for the tests: auth header and base URL filled in."""

    def __init__(self, running: RunningWave, key: str = "test-key-alpha"):
        self.running = running
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def url(self, path: str) -> str:
        return f"{self.running.base_url}{path}"

    def submit(self, body: dict[str, Any], **headers: str) -> requests.Response:
        return self.session.post(self.url("/v1/tasks"), json=body, headers=headers, timeout=60)

    def get(self, task_id: str, wait: int | None = None) -> requests.Response:
        headers = {"Prefer": f"wait={wait}"} if wait else {}
        return self.session.get(self.url(f"/v1/tasks/{task_id}"), headers=headers, timeout=90)

    def cancel(self, task_id: str) -> requests.Response:
        return self.session.post(self.url(f"/v1/tasks/{task_id}/cancel"), timeout=30)

    def balance(self) -> dict[str, Any]:
        reply = self.session.get(self.url("/v1/dashboard/billing/balance"), timeout=30)
        reply.raise_for_status()
        return reply.json()

    def finish(self, task_id: str, limit: float = 90) -> dict[str, Any]:
        """Wait (with Prefer: wait) until the task is terminal; return its object."""
        import time

        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            reply = self.get(task_id, wait=30)
            reply.raise_for_status()
            task = reply.json()
            if task["status"] in ("completed", "failed", "cancelled"):
                return task
        raise AssertionError(f"task {task_id} did not finish within {limit} s")

    def counters(self) -> dict[str, int]:
        return self.running.wave.counters.snapshot()


@pytest.fixture
def start_wave(tmp_path: Path) -> Iterator[Callable[..., WaveClient]]:
    """Factory: start_wave(**settings_changes) -> WaveClient on a fresh server."""
    with ExitStack() as stack:

        def start(data_dir: Path | None = None, **changes: Any) -> WaveClient:
            settings = fast_settings(data_dir or tmp_path / "wave", **changes)
            running = stack.enter_context(serve_in_background(settings))
            return WaveClient(running)

        yield start


@pytest.fixture
def wave(start_wave: Callable[..., WaveClient]) -> WaveClient:
    return start_wave()


@dataclass
class Receiver:
    """A local HTTP endpoint that records what is POSTed to it and can fail on purpose."""

    fail_first: int = 0
    status_on_failure: int = 500
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def received(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.calls)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            import json
            import time

            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.calls.append(
                    {
                        "event": self.headers.get("X-Wave-Event"),
                        "body": json.loads(body),
                        "at": time.monotonic(),
                        "path": self.path,
                    }
                )
                failing = len(state.calls) <= state.fail_first
            self.send_response(state.status_on_failure if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def image_host(tmp_path: Path) -> Iterator[Callable[[str, bytes | None], str]]:
    """Serves files over HTTP, as the studio serves uploaded reference images:
    host(name, data) -> URL."""
    folder = tmp_path / "hosted"
    folder.mkdir()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = folder / self.path.lstrip("/")
            if not path.is_file():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def host(name: str, data: bytes | None) -> str:
        if data is not None:  # None: a link to nothing (answers 404)
            (folder / name).write_bytes(data)
        return f"{base}/{name}"

    yield host
    server.shutdown()
    server.server_close()


# The databases the store-sensitive tests run on (issue 15): the default SQLite file and
# PostgreSQL (a server of the session's own, tests/services/postgres.py). Only what the
# database changes runs on both: the store, the tracker's leases and re-sends, crashes,
# money; pages and the practice service run on SQLite alone.
DATABASES = ("sqlite", "postgresql")
MIGRATED_TEMPLATE = "studio_migrated"


@pytest.fixture(scope="session")
def migrated_postgres(request: pytest.FixtureRequest) -> PostgresServer:
    """The session's PostgreSQL with a migrated template: each test's database is a copy
    of it (a few hundredths of a second) instead of running every migration again."""
    from lib.store.database import make_engine, migrate

    server: PostgresServer = request.getfixturevalue("postgres_server")
    server.create_database(MIGRATED_TEMPLATE, template="template0")
    engine = make_engine(server.url(MIGRATED_TEMPLATE))
    migrate(engine)
    engine.dispose()  # a template in use cannot be copied
    return server


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty store's URL on each database in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'studio.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("migrated_postgres")
    url = server.create_database(template=MIGRATED_TEMPLATE)
    try:
        yield url
    finally:
        server.drop_database(url.rsplit("/", 1)[1])


def s3_settings(service: S3Service, prefix: str | None = None) -> dict[str, Any]:
    """StudioConfig changes for a studio on the session's S3 server, under a key prefix
    of its own (one bucket is shared by the session)."""
    import secrets

    return {
        "storage": "s3",
        "s3_bucket": service.bucket,
        "s3_endpoint_url": service.endpoint_url,
        "s3_region": service.region,
        "s3_prefix": prefix or f"test-{secrets.token_hex(6)}/",
        "s3_access_key_id": service.access_key_id,
        "s3_secret_access_key": service.secret_access_key,
    }


@pytest.fixture
def studio(tmp_path: Path):
    """A running studio (store, tracker, routes, embedded API on a free port) that pages
    under AppTest use through lib.engine.runtime.current(): the same process, like the server."""
    from lib.engine.runtime import set_current
    from tests.studio_harness import running_studio

    with running_studio(tmp_path / "studio") as running:
        set_current(running.studio)
        try:
            yield running
        finally:
            set_current(None)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the reliability suite's figures (tests/reliability) at the end of the run."""
    from tests.reliability.figures import table

    lines = table()
    if lines:
        terminalreporter.section("Reliability figures (issue 6)")
        for line in lines:
            terminalreporter.write_line(line)
