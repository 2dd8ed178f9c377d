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


FRAGMENT_ON_A_TIMER = """
import streamlit as st

@st.fragment(run_every=0.5)
def ticking():
    st.session_state.runs = st.session_state.get("runs", 0) + 1
    st.write(f"run {st.session_state.runs}")

ticking()
"""


def test_a_light_page_reruns_a_fragment_on_its_timer(tmp_path):
    """`ForwardMsg.auto_rerun` (a fragment's `run_every`): the page asks for the fragment's
    runs itself, as the browser does; without that the server runs it once."""
    (tmp_path / "ticking.py").write_text(FRAGMENT_ON_A_TIMER)
    server = StudioProcess(
        tmp_path / "data", script="ticking.py", ready_path="/_stcore/health", cwd=tmp_path
    )
    server.data_dir.mkdir(parents=True)
    server.start()
    client = LightClient(server.url, COOKIE, "Light Page")
    try:
        [page] = client.open(1)
        first = page.runs_finished
        deadline = time.monotonic() + 20  # two runs take ~1 s; the rest is room for load
        while page.runs_finished < first + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert page.runs_finished >= first + 2
        assert not page.errors
        client.close([page])
    finally:
        client.stop()
        server.stop()
