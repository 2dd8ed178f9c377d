"""Bad input that comes as requests rather than through the form (issue 12's outside
corpus): a History search far longer than any prompt, a `wait` that is not a number, and
callbacks whose body is huge, nested too deeply or never finished. Each gets a clear
answer; no page crashes, no request hangs, nothing is logged as an error.

The embedded Wave API's own cases (huge and unfinished bodies, nested JSON, odd value
shapes, invisible prompts, private and slow links, a receiver's huge reply) are in
tests/embedded_wave/test_api.py and tests/embedded_wave/test_links.py.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from streamlit.testing.v1 import AppTest

from lib.history import queries
from lib.store.reads import shown_states_in_store
from tests.factories import make
from tests.history.pages import history
from tests.reliability.canary import errors_logged

SECRET = "test-callback-secret"  # tests/studio_harness.py


def test_a_history_search_of_50000_characters_finds_nothing_and_crashes_nothing(studio):
    make(studio.studio.store, "queued", prompt="A red kite over a windy beach")
    at: AppTest = history()
    at.text_input(key="history.search").input("kite " * 10_000).run()  # 50,000 characters
    assert not at.exception, at.exception
    assert any("No videos match these filters" in i.value for i in at.info)
    # Text no prompt can hold is cleaned as prompts are: a NUL reaches no database.
    assert queries.Filters.from_choices(text="kite\x00\u202e").text == "kite"


@pytest.mark.parametrize("wait", ["nan", "NaN", "inf", "-inf", "1e999", "-5", "soon", ""])
def test_a_wait_that_is_not_a_number_of_seconds_answers_at_once(studio, wait):
    studio.studio.tracker.stop()  # the video stays in flight
    task_id = make(studio.studio.store, "queued")
    # NaN was taken as the deadline, and no time is ever past NaN: held for good. (A read
    # timeout well below MAX_CHANGE_WAIT: "inf" must not be held for 30 s either.)
    drawn = shown_states_in_store(studio.studio.store, [task_id])[task_id]  # as a page drew it
    reply = requests.get(
        f"{studio.base_url}/api/history/changes",
        params={"ids": task_id, "states": drawn, "wait": wait},
        timeout=(5, 20),
    )
    assert reply.status_code == 200 and reply.json() == {"changed": []}


def callback_socket(studio, declared: int, expect_continue: bool = False) -> socket.socket:
    parts = urlsplit(studio.base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    expect = "Expect: 100-continue\r\n" if expect_continue else ""
    sock.sendall(
        f"POST /api/callbacks/wave/{SECRET} HTTP/1.1\r\nHost: {parts.netloc}\r\n{expect}"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n".encode()
    )
    if expect_continue:  # the server says "continue" once the route reads the body
        assert sock.recv(100).startswith(b"HTTP/1.1 100")
    return sock


def test_a_huge_callback_body_is_refused_while_it_arrives(studio):
    size = 128 * 1024 * 1024
    sock = callback_socket(studio, size)
    sent = 0
    try:
        while sent < size:
            sock.sendall(b" " * 65536)
            sent += 65536
    except OSError:
        pass  # answered 413 and closed
    finally:
        sock.close()
    assert sent < 24 * 1024 * 1024, f"the studio took {sent:,} bytes"


def test_a_callback_nested_too_deeply_is_a_400(studio):
    nested = "[" * 30_000 + "]" * 30_000
    reply = requests.post(f"{studio.base_url}/api/callbacks/wave/{SECRET}", data=nested, timeout=30)
    assert reply.status_code == 400


def test_a_callback_that_hangs_up_mid_body_logs_nothing(studio):
    with errors_logged() as logged:
        for _ in range(3):
            sock = callback_socket(studio, 5000, expect_continue=True)  # the route is reading
            sock.sendall(b'{"task_id": "task-')
            sock.close()
        # The studio still answers, and says nothing about the hang-ups (it used to log a
        # traceback of 55 lines for each, a moment after it).
        assert requests.get(f"{studio.base_url}/api/health", timeout=30).status_code == 200
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not logged:
            time.sleep(0.05)
    assert logged == []
