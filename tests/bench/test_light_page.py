"""bench/light_page.py's light page client against a real studio: it must do what a
browser's History page does for a finished video to reach it (follow the live bar's held
request, send its trigger in a fragment rerun), or the video never arrives."""

from __future__ import annotations

import time

import pytest

from bench.light_page import LightClient
from lib.ui.identity import COOKIE
from tests.browser.conftest import StudioProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def studio(tmp_path):
    server = StudioProcess(tmp_path / "data", env={"STUDIO_EMBEDDED_TIME_SCALE": "0.3"})
    server.data_dir.mkdir(parents=True)
    server.start()
    yield server
    server.stop()


def test_a_light_history_page_is_sent_the_finished_video_through_its_bar(studio):
    client = LightClient(studio.url, COOKIE, "Light Page")
    pages = client.open(2)
    try:
        maker, watcher = pages
        client.call(maker.press("Generate", {"create.prompt": "A lighthouse at dusk"}))
        client.go_to([watcher], "History", "/history")
        [task_id] = watcher.cards  # the new video's card, with its live bar
        assert set(watcher.bars) == {task_id}
        assert watcher.widgets, "the page keeps its filters' states for its reruns"
        video = f"/library/{task_id}.mp4"
        deadline = time.monotonic() + 60
        while video not in watcher.delivered and time.monotonic() < deadline:
            assert not watcher.errors
            time.sleep(0.1)
        assert video in watcher.delivered
        assert watcher.held_requests >= 1
        assert watcher.bars == {}  # the finished card has no bar: its request is let go
    finally:
        client.close(pages)
        client.stop()
