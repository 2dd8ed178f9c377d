"""The main flows in a real browser, as a person clicks through them."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from tests import images
from tests.browser.conftest import StudioProcess, remember_name

pytestmark = pytest.mark.browser


def task_count(server: StudioProcess) -> int:
    with sqlite3.connect(server.data_dir / "studio.sqlite3") as db:
        return db.execute("SELECT count(*) FROM tasks").fetchone()[0]


def open_create(page: Page, server: StudioProcess) -> None:
    """Create, in a browser that knows its person's name (typed there once before)."""
    remember_name(page.context, server.url)
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()


def set_duration(page: Page, seconds: int) -> None:
    box = page.get_by_role("spinbutton", name="Duration (seconds)")
    box.fill(str(seconds))
    box.press("Tab")


def generate_and_open_history(page: Page, price_label: str) -> None:
    button = page.get_by_role("button", name=price_label)
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_text("Your video is on its way")).to_be_visible()
    page.get_by_text("Watch it arrive in History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()


def progress_values(
    page: Page, seconds: float, reruns: list[str] | None = None
) -> list[tuple[int, int]]:
    """The progress bar's value, read every half second while it is on the page, each with
    the number of reruns the page had asked for when it was read (`reruns_asked`)."""
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # Read in one go, without waiting: the bar may go away between two calls (the
        # video is done), and a locator call would then wait for it for 30 s.
        value = page.evaluate(
            "() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')"
            " ?? null"
        )
        if value is not None:
            seen.append((int(float(value)), len(reruns or ())))
        elif seen:
            break
        page.wait_for_timeout(500)
    return seen


def reruns_asked(page: Page) -> list[str]:
    """Every rerun the page asks the studio for by its websocket, from now on (call it
    before the page opens): the fragment it is for, "" for the whole page."""
    asked: list[str] = []

    def read(frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            message = BackMsg.FromString(frame)
            if message.WhichOneof("type") == "rerun_script":
                asked.append(message.rerun_script.fragment_id)

    page.on("websocket", lambda socket: socket.on("framesent", read))
    return asked


def play(page: Page) -> dict:
    """Once the video is ready, press play and wait until its time has moved on."""
    expect(page.get_by_text("Ready", exact=True).first).to_be_visible(timeout=90_000)
    expect(page.get_by_role("progressbar")).to_have_count(0)
    page.wait_for_timeout(1500)  # the cards are drawn once more as the last video is done
    video = page.locator("video").first
    expect(video).to_be_visible()
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 0.5; }",
        timeout=30_000,
    )
    return video.evaluate(
        "v => ({w: v.videoWidth, h: v.videoHeight, t: v.currentTime, d: v.duration})"
    )


def test_text_to_video_from_the_form_to_a_playing_video(page, studio_server):
    asked = reruns_asked(page)
    open_create(page, studio_server)
    page.get_by_role("textbox", name="Prompt").fill("A red kite over a windy beach, drone shot")
    set_duration(page, 7)
    generate_and_open_history(page, "Generate 7 s · $0.0521")
    before = len(asked)
    samples = progress_values(page, 30, asked)
    values = [value for value, _ in samples]
    assert len(set(values)) >= 3, values  # the bar moved while the video was made
    assert values == sorted(values), values
    # ... in the page itself: between two reruns (a rerun's answer brings one new value),
    # the bar took several values with no rerun at all.
    moves = {reruns: {v for v, r in samples if r == reruns} for _, reruns in samples}
    assert max(len(seen) for seen in moves.values()) >= 3, samples
    # The studio ran the card again only when the video changed state (sent → in line →
    # being made → saving → saved, at most), that card alone.
    while_made = asked[before:]
    assert len(while_made) <= 4, while_made
    assert all(while_made), while_made  # each one a card's fragment, never the whole page
    facts = play(page)
    assert (facts["w"], facts["h"]) == (854, 480)
    assert abs(facts["d"] - 7) < 0.1
    expect(page.get_by_text("Ready")).to_be_visible()


def test_image_to_video_with_two_uploaded_pictures(page, studio_server, tmp_path):
    portrait = tmp_path / "portrait.jpg"
    portrait.write_bytes(images.jpeg(600, 900))
    landscape = tmp_path / "landscape.png"
    landscape.write_bytes(images.png(1200, 675))
    open_create(page, studio_server)
    page.get_by_role("radio", name="Image to video").click()
    page.locator("input[type=file]").set_input_files([str(portrait), str(landscape)])
    expect(page.get_by_alt_text("reference 2")).to_be_visible()
    expect(page.get_by_text("First: sets the shape")).to_be_visible()
    generate_and_open_history(page, "Generate 6 s · $0.0446")
    facts = play(page)
    assert (facts["w"], facts["h"]) == (480, 720)  # portrait, like the first picture


def test_bad_input_gets_a_clear_message_and_no_task(page, studio_server, tmp_path):
    before = task_count(studio_server)
    open_create(page, studio_server)
    page.get_by_role("textbox", name="Prompt").fill("Waves on rocks")
    set_duration(page, 31)
    page.get_by_role("button", name="Generate", exact=True).click()
    message = "Duration (seconds) must be a whole number of seconds from 6 to 30; you gave 31."
    expect(page.get_by_text(message)).to_be_visible()
    set_duration(page, 6)

    page.get_by_role("radio", name="Image to video").click()
    fake = tmp_path / "notes.png"
    fake.write_text("this is a text file, not a picture\n" * 20)
    page.locator("input[type=file]").set_input_files([str(fake)])
    expect(page.get_by_text("notes.png is not a picture the video service can use")).to_be_visible()

    pictures = []
    for number in range(8):
        path = tmp_path / f"photo{number}.jpg"
        path.write_bytes(images.jpeg(400 + number * 10, 300))
        pictures.append(str(path))
    page.locator("input[type=file]").set_input_files(pictures)
    expect(page.get_by_alt_text("reference 8")).to_be_visible()
    page.get_by_role("button", name="Generate 6 s · $0.0446").click()
    expect(page.get_by_text("at most 7 allowed; you gave 8")).to_be_visible()
    assert task_count(studio_server) == before


def test_a_pasted_picture_link_is_checked_before_anyone_clicks(page, studio_server):
    # Issue 11: the link is fetched in the background as soon as it is pasted, and the page
    # shows what became of it by itself (no click); .invalid never resolves, anywhere.
    before = task_count(studio_server)
    open_create(page, studio_server)
    page.get_by_role("radio", name="Image to video").click()
    links = page.get_by_role("textbox", name="…or paste links to pictures (one per line)")
    links.fill("https://pictures.example.invalid/spring/shot.jpg")
    links.press("Tab")
    expect(
        page.get_by_text(
            "Picture 1 (the link https://pictures.example.invalid/spring/shot.jpg) could not "
            "be fetched: no site called pictures.example.invalid was found."
        )
    ).to_be_visible()
    page.get_by_role("button", name="Generate 6 s · $0.0446").click()
    expect(page.get_by_text("Picture 1 (the link https://pictures.example.invalid")).to_be_visible()
    assert task_count(studio_server) == before


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """Videos wait ~10 s in line here, long enough to cancel one by hand."""
    import os

    server = StudioProcess(tmp_path_factory.mktemp("slow") / "data")
    os.environ["BROWSER_TEST_TIME_SCALE"] = "5"
    try:
        server.start()
    finally:
        del os.environ["BROWSER_TEST_TIME_SCALE"]
    yield server
    server.stop()


def test_cancel_a_queued_video(page, slow_server):
    open_create(page, slow_server)
    page.get_by_role("textbox", name="Prompt").fill("A lighthouse at dawn")
    generate_and_open_history(page, "Generate 6 s · $0.0446")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(page.get_by_text("Refunded $0.0446")).to_be_visible()


def test_a_reload_and_a_server_restart_mid_generation_lose_nothing(page, studio_server):
    open_create(page, studio_server)
    page.get_by_role("textbox", name="Prompt").fill("Fireworks over a harbour at night")
    generate_and_open_history(page, "Generate 6 s · $0.0446")
    page.reload()
    expect(page.get_by_text("Fireworks over a harbour at night")).to_be_visible()
    play(page)

    open_create(page, studio_server)
    page.get_by_role("textbox", name="Prompt").fill("A paper boat in the rain")
    generate_and_open_history(page, "Generate 6 s · $0.0446")
    task_url = page.url
    studio_server.stop()  # mid-generation
    studio_server.start()
    page.goto(task_url)  # the first visit after the start is a link to one video
    expect(page.get_by_text("A paper boat in the rain")).to_be_visible()
    # The whole studio around it: its pages, the sidebar with the person's name.
    expect(page.get_by_test_id("stSidebarNavItems").get_by_role("link")).to_contain_text(
        ["Create", "History", "Costs"]
    )
    expect(page.get_by_role("textbox", name="Your name")).to_have_value("Ana Lopez")
    play(page)


def test_costs_show_the_new_spend_and_the_ledger_downloads(page, studio_server):
    open_create(page, studio_server)
    page.get_by_role("textbox", name="Prompt").fill("A hot air balloon over fields")
    set_duration(page, 10)
    generate_and_open_history(page, "Generate 10 s · $0.0744")
    play(page)
    page.goto(f"{studio_server.url}/costs")
    expect(page.get_by_role("heading", name="Costs")).to_be_visible()
    with sqlite3.connect(studio_server.data_dir / "studio.sqlite3") as db:
        settled = db.execute("SELECT sum(cost_quota) FROM tasks WHERE status = 'completed'")
        spend = Decimal(settled.fetchone()[0]) / 500_000
    # The new video's spend is in the month's total, to the last digit.
    total = f"${spend.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"
    expect(page.get_by_test_id("stMetricValue").filter(has_text=total).first).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the ledger (CSV)").click()
    path = Path(download_info.value.path())
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == task_count(studio_server)  # every video of this month, one row each
    [balloon] = [row for row in rows if "A hot air balloon over fields" in row.values()]
    assert balloon["status"] == "completed"
    assert "37188" in balloon.values() and "0.074376" in balloon.values()  # quota and USD


def test_a_video_with_another_model_from_the_picker_to_playing(page, studio_server):
    open_create(page, studio_server)
    page.get_by_role("combobox", name=re.compile("Model")).click()
    page.get_by_role("option", name="Grok Imagine (official)", exact=True).click()
    expect(page.get_by_text("xAI's own model")).to_be_visible()
    page.get_by_role("textbox", name="Prompt").fill("A paper plane over a city, 4:3")
    page.get_by_role("radio", name="4:3").click()
    set_duration(page, 2)
    generate_and_open_history(page, "Generate 2 s · $0.0900")  # 2 x 0.045
    facts = play(page)
    assert (facts["w"], facts["h"]) == (640, 480)
    assert abs(facts["d"] - 2) < 0.1
    expect(
        page.get_by_text("Grok Imagine (official) · Text to video · 4:3 · 480p · 2 s")
    ).to_be_visible()
