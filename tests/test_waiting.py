"""The tests' wait for a server: a slow first answer is "not yet", not a failure."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.waiting import wait_until_up


@pytest.fixture
def slow_then_ready():
    """A server whose first two answers take longer than the client waits (a read
    timeout), then answers at once."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(time.monotonic())
            if len(asked) <= 2:
                time.sleep(1.0)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/health", asked
    server.shutdown()
    server.server_close()


def test_a_read_timeout_means_not_yet(slow_then_ready):
    url, asked = slow_then_ready
    reply = wait_until_up(url, limit=30, request_timeout=0.3)
    assert reply.text == "ok" and len(asked) >= 3


def test_the_wait_ends_at_its_deadline_and_when_the_server_dies():
    with pytest.raises(AssertionError, match="no answer"):
        wait_until_up("http://127.0.0.1:9/", limit=0.5, request_timeout=0.2)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with pytest.raises(AssertionError, match="the server stopped"):
        wait_until_up("http://127.0.0.1:9/", gone, limit=30, log=lambda: "its log")
