"""The embedded Wave API and the links API clients send it (issue 12): picture links and
callback addresses go through lib/outside/fetch.py like every link a person typed. Private
addresses are refused, however they are spelled; a slow link is cut at one deadline and
holds neither a render thread nor another account's video; a receiver's reply is never
read into memory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests import images
from tests.conftest import SEED_BODY, WaveClient
from tests.link_servers import local_site

PICTURE_TASK = {"model": "grok-imagine-1.0-video", "duration": 6}
PRIVATE = "points inside a private network"


def picture_task(*urls: str) -> dict[str, Any]:
    return {**PICTURE_TASK, "image_urls": list(urls)}


@pytest.mark.parametrize(
    ("link", "words"),
    [
        # The outside corpus's hole: urllib.parse read the host as "127.0.0.1\", requests
        # fetched 127.0.0.1 and the picture of an internal page became a charged video.
        ("http://127.0.0.1\\/internal-admin/secret.png", "is written in an unusual way"),
        ("http://169.254.169.254\\/latest/meta-data/", "is written in an unusual way"),
        ("http://１２７.０.０.１/secret.png", "look-alike characters"),
        ("http://127。0。0。1/secret.png", "look-alike characters"),
        ("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/secret.png", "look-alike characters"),
        ("http://127.0.0.1/secret.png", PRIVATE),
        ("http://[::ffff:127.0.0.1]/secret.png", PRIVATE),
        ("http://localhost/secret.png", PRIVATE),
    ],
)
def test_picture_links_into_this_machine_are_refused_before_anything_is_made(
    start_wave, link, words
):
    wave = start_wave(local_prefixes=())
    reply = wave.submit(picture_task(link))
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["param"] == "image_urls"
    assert error["message"].startswith("Picture 1 (the link http")
    assert words in error["message"]
    assert wave.balance()["total_used_usd"] == 0


def test_a_callback_address_into_this_machine_is_never_called(start_wave):
    # Callbacks are hints: the task is made and can be followed; the address is not called.
    with local_site() as site:
        wave = start_wave(local_prefixes=())
        for hook in (site.url("/hook"), "http://169.254.169.254/latest/"):
            task = wave.finish(wave.submit({**SEED_BODY, "callback_url": hook}).json()["task_id"])
            assert task["status"] == "completed"
        deadline = time.monotonic() + 30
        while wave.counters().get("callbacks_refused", 0) < 2:
            assert time.monotonic() < deadline, wave.counters()
            time.sleep(0.05)
        assert site.hits == [] and wave.counters().get("callback_attempts") == 2


def test_a_redirect_into_a_private_network_is_not_followed(start_wave):
    with local_site() as site:
        site.add("/secret.png", images.png(200, 200))
        # Only the redirecting path counts as public here; where it leads does not.
        wave = start_wave(local_prefixes=(site.base + "/redirect",))
        hop = site.url("/redirect?to=" + site.url("/secret.png"))
        task = wave.finish(wave.submit(picture_task(hop)).json()["task_id"])
        assert task["status"] == "failed" and task["cost"] == 0
        assert (
            "leads on to a link that points inside a private network" in (task["error"]["message"])
        )
        assert "GET /secret.png" not in site.hits


def test_a_link_that_sends_one_byte_at_a_time_is_cut_at_the_deadline(start_wave):
    with local_site(drip_every=0.1) as site:
        wave = start_wave(image_fetch_timeout_seconds=2.0)
        task = wave.finish(wave.submit(picture_task(site.url("/drip"))).json()["task_id"], 60)
        assert task["status"] == "failed" and task["cost"] == 0
        message = task["error"]["message"]
        assert message.startswith("Picture 1 (the link http://127.0.0.1:")
        assert "could not be fetched: the site did not send it within 2 seconds" in message
        assert "Error" not in message  # no exception class names


def test_slow_links_of_one_account_do_not_hold_another_accounts_videos(start_wave, tmp_path):
    """Two render threads; account A sends three videos whose pictures trickle in one
    byte at a time. Account B's videos (one from words, one from a picture) are made while
    A's links are still trickling."""
    with local_site(drip_every=0.2) as site:
        wave = start_wave(render_workers=2, image_fetch_timeout_seconds=120.0)
        other = WaveClient(wave.running, key="test-key-beta")
        slow = [wave.submit(picture_task(site.url("/drip"))).json()["task_id"] for _ in range(3)]
        deadline = time.monotonic() + 30
        while site.drips() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.drips() >= 2, "account A's links were not being fetched"
        good = site.add("/portrait.png", images.png(300, 400))
        made = [
            other.finish(other.submit(body).json()["task_id"], limit=60)
            for body in (SEED_BODY, picture_task(good))
        ]
        assert [task["status"] for task in made] == ["completed", "completed"]
        assert site.drips() >= 1, "account A's links stopped before B's videos were made"
        assert all(wave.get(task_id).json()["status"] == "processing" for task_id in slow)


# ----- callbacks ------------------------------------------------------------------------
@contextmanager
def receiver_with_a_huge_reply(size: int) -> Iterator[dict[str, Any]]:
    """A callback receiver that answers 200 with a body of `size` bytes, and counts the
    bytes the other side's socket took."""
    state: dict[str, Any] = {"calls": 0, "taken": 0, "url": ""}
    server = socket.create_server(("127.0.0.1", 0))
    state["url"] = f"http://127.0.0.1:{server.getsockname()[1]}/hook"

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(30)
                received = b""
                while b"\r\n\r\n" not in received:
                    received += conn.recv(65536)
                state["calls"] += 1
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    + f"Content-Length: {size}\r\n\r\n".encode()
                )
                block = bytes(256 * 1024)
                try:
                    while state["taken"] < size:
                        conn.sendall(block)
                        state["taken"] += len(block)
                except OSError:
                    pass  # the caller hung up: it read what it needed

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.close()


def test_a_receivers_reply_is_never_read_into_memory(start_wave):
    size = 256 * 1024 * 1024
    with receiver_with_a_huge_reply(size) as receiver:
        wave = start_wave()
        body = {**SEED_BODY, "callback_url": receiver["url"]}
        wave.finish(wave.submit(body).json()["task_id"])
        deadline = time.monotonic() + 60
        while wave.counters().get("callbacks_delivered", 0) < 1:
            assert time.monotonic() < deadline, wave.counters()
            time.sleep(0.05)
        assert receiver["calls"] == 1
        # Kernel buffers on both sides hold a few megabytes; the body itself is not read.
        assert receiver["taken"] < 24 * 1024 * 1024, receiver["taken"]
