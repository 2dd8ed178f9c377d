"""Waiting for a server started by a test to answer, on a machine that may be busy."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import requests


def wait_until_up(
    url: str,
    process: subprocess.Popen | None = None,
    limit: float = 60,
    log: Callable[[], str] = lambda: "",
    request_timeout: float = 5,
) -> requests.Response:
    """GET `url` until it answers 200, within `limit` seconds overall.

    Anything short of an answer means "not yet": nothing listening (a connection error),
    or a server too busy to answer within `request_timeout` (a read timeout, common on
    two loaded cores while the studio imports and migrates). The process dying, or the
    overall deadline, ends the wait with an error that shows the server's log."""
    deadline = time.monotonic() + limit
    while True:
        try:
            reply = requests.get(url, timeout=request_timeout)
            if reply.status_code == 200:
                return reply
        except requests.RequestException:
            pass
        if process is not None:
            assert process.poll() is None, f"the server stopped:\n{log()}"
        assert time.monotonic() < deadline, f"no answer from {url} in {limit} s:\n{log()}"
        time.sleep(0.2)
