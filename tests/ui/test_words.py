"""Words for people (issue 11, item 7): demo mode said plainly on every page, and no
program's name for an error in what a card shows."""

from __future__ import annotations

import socket
import threading

import pytest
from streamlit.testing.v1 import AppTest

from lib.config import StudioConfig
from lib.engine.archive import ArchiveError, MediaUrlPolicy, archive_video
from lib.storage.local import LocalStorage
from lib.ui.sidebar import DEMO_NOTICE
from tests.studio_harness import STUDIO

PROGRAM_NAMES = ("Error", "Exception", "Timeout", "errno", "Errno")


@pytest.mark.parametrize("page", ["views/create.py", "views/history.py", "views/costs.py"])
def test_demo_mode_is_said_at_the_top_of_every_page(studio, page):
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = "Ana"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    first = at.main.children[0]
    assert first.type == "info" and DEMO_NOTICE in first.value
    sidebar = " ".join(str(node.proto) for node in at.sidebar if hasattr(node, "proto"))
    assert "Videos made by" not in sidebar and "embedded Wave API" not in sidebar


def test_the_terminal_says_which_service_makes_the_videos(tmp_path):
    demo = StudioConfig(data_dir=tmp_path, database_url="sqlite://")
    assert demo.announcement().startswith(f"{DEMO_NOTICE}.")
    key = "sk-live-0123456789"
    real = StudioConfig(data_dir=tmp_path, database_url="sqlite://", wave_api_key=key)
    assert "charged" in real.announcement() and "Demo" not in real.announcement()
    assert key not in real.announcement()


@pytest.fixture
def broken_host():
    """An http server that answers with the start of a reply, then hangs up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc")
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_broken_download_is_said_in_words(broken_host, tmp_path):
    policy = MediaUrlPolicy(hosts=(), local_origins=(broken_host,))
    with pytest.raises(ArchiveError) as caught:
        archive_video(f"{broken_host}/v.mp4", LocalStorage(tmp_path), "a" * 32, policy)
    message = str(caught.value)
    assert message == "the video could not be fetched: the connection broke off"
    assert not any(name in message for name in PROGRAM_NAMES)


def test_a_file_that_is_no_video_is_said_in_words(image_host, tmp_path):
    url = image_host("v.mp4", b"this is not a video at all " * 100)
    origin = url.rsplit("/", 1)[0]
    policy = MediaUrlPolicy(hosts=(), local_origins=(origin,))
    with pytest.raises(ArchiveError) as caught:
        archive_video(url, LocalStorage(tmp_path), "b" * 32, policy)
    assert str(caught.value) == "the downloaded file is not a playable video"
