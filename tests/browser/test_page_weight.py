"""The helpers of bench/page_weight.py work, so that CI catches them breaking: the data
folder of real archived videos, the DevTools byte meter on a real History page, the
memory readers. The benchmark itself is a script (`.venv/bin/python bench/page_weight.py`)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from bench.archived_videos import archived_videos, ensure_archived_videos
from bench.page_weight import (
    NAIVE_PAGE,
    NAIVE_READY,
    VIEWPORT,
    category,
    frame_bytes,
    measure_visit,
    rss_bytes,
    streamlit_media_bytes,
    wait_for_cards,
)
from lib.outside.videos import probe_video
from tests.browser.conftest import StudioProcess

pytestmark = pytest.mark.browser

VIDEOS = 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("page-weight") / "data"
    ensure_archived_videos(folder, VIDEOS)
    return folder


def test_the_data_folder_holds_real_archived_videos_and_is_reused(data_dir):
    videos = archived_videos(data_dir)
    assert len(videos) == VIDEOS
    for video in videos:
        probe = probe_video(video.video)
        assert probe.codec == "h264" and probe.frames == 6 * 24  # 6 s at 24 fps
        assert video.poster.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
        assert video.video_bytes == video.video.stat().st_size
    # Asking again for as many makes nothing new: the same tasks, no further renders.
    again = ensure_archived_videos(data_dir, VIDEOS)
    assert [v.task_id for v in again] == [v.task_id for v in videos]


def test_the_meter_counts_posters_and_no_video_on_a_real_history_page(data_dir, browser):
    server = StudioProcess(data_dir)
    server.start()
    try:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            meter = measure_visit(context, f"{server.url}/history", VIDEOS, quiet=1.0)
            held = streamlit_media_bytes(server.url)
        finally:
            context.close()
    finally:
        server.stop()
    posters = sum(v.poster_bytes for v in archived_videos(data_dir))
    assert meter.counts["posters"] == VIDEOS
    # What arrived: the JPEG files plus their response headers (well under 1 kB each).
    assert posters <= meter.bytes["posters"] < posters + VIDEOS * 1000
    assert meter.bytes["video"] == 0 and meter.counts["video"] == 0
    assert meter.bytes["page data"] > 1000  # the cards came over the websocket
    assert meter.bytes["app bundle"] > 500_000  # Streamlit's JavaScript, first visit
    assert held == 0  # no video bytes in Streamlit's memory


def test_the_naive_page_holds_and_moves_the_videos(data_dir, tmp_path, browser):
    # The comparison the benchmark draws: st.video(bytes) keeps every video in the
    # server's memory and the browser loads them before anyone presses play.
    videos = archived_videos(data_dir)
    listing = tmp_path / "videos.json"
    listing.write_text(json.dumps([str(v.video) for v in videos]))
    script = tmp_path / "naive_history.py"
    script.write_text(NAIVE_PAGE)
    server = StudioProcess(
        data_dir, script=str(script), env={"NAIVE_VIDEOS": str(listing)}, ready_path=NAIVE_READY
    )
    server.start()
    try:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            meter = measure_visit(context, f"{server.url}/", VIDEOS, quiet=1.0)
            page = context.new_page()  # a session on the page while its memory is read
            page.goto(f"{server.url}/")
            wait_for_cards(page, VIDEOS)
            held = streamlit_media_bytes(server.url)
        finally:
            context.close()
    finally:
        server.stop()
    assert held == sum(v.video_bytes for v in videos)
    assert meter.counts["video"] >= VIDEOS and meter.bytes["video"] > 0


def test_addresses_are_sorted_into_the_parts_of_a_page():
    base = "http://127.0.0.1:8501"
    assert category(f"{base}/library/{'a' * 32}.mp4", "Media", "video/mp4") == "video"
    assert category(f"{base}/library/{'a' * 32}.jpg", "Image", "image/jpeg") == "posters"
    assert category(f"{base}/media/abc.mp4", "Media", "video/mp4") == "video"
    assert category(f"{base}/static/js/index.js", "Script", "text/javascript") == "app bundle"
    assert category(f"{base}/history", "Document", "text/html") == "app bundle"


def test_websocket_payloads_are_counted_in_bytes():
    assert frame_bytes({"opcode": 1, "payloadData": "héllo"}) == 6
    payload = bytes(range(256)) * 3
    encoded = base64.b64encode(payload).decode()
    assert frame_bytes({"opcode": 2, "payloadData": encoded}) == len(payload)


def test_rss_follows_memory_the_process_really_uses():
    before = rss_bytes(os.getpid())
    block = bytearray(64 * 1024 * 1024)  # zero pages: touch them so they are resident
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    assert rss_bytes(os.getpid()) - before > 50 * 1024 * 1024
    del block
