"""Issue 17's "Done when", in a real browser: two takes made from the form → compared
side by side (played together) → the better one sent to review → a guest, in another
browser context, opens the review link, comments and approves → the maker sees the
approval and the comment → the campaign ZIP holds it."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import StudioProcess, remember_name

pytestmark = pytest.mark.browser
CAMPAIGN = "Kite launch"


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    """Videos arrive in a few seconds: the walk is about review, not waiting."""
    server = StudioProcess(
        tmp_path_factory.mktemp("review") / "data", env={"STUDIO_EMBEDDED_TIME_SCALE": "0.05"}
    )
    server.start()
    yield server
    server.stop()


def make_take(page: Page, server: StudioProcess, prompt: str) -> None:
    page.get_by_role("textbox", name="Prompt").fill(prompt)
    page.get_by_role("textbox", name="Prompt").press("Tab")
    page.get_by_role("button", name=re.compile(r"^Generate")).click()
    deadline = time.monotonic() + 60
    while prompt not in ids_by_prompt(server):  # recorded in the store
        assert time.monotonic() < deadline, "the take was not recorded"
        page.wait_for_timeout(200)


def ids_by_prompt(server: StudioProcess) -> dict[str, str]:
    with sqlite3.connect(server.data_dir / "studio.sqlite3") as db:
        return dict(db.execute("SELECT prompt, id FROM tasks").fetchall())


def test_two_takes_compared_reviewed_by_a_guest_and_downloaded(page, browser, quick_server):
    server = quick_server
    remember_name(page.context, server.url)
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
    campaign = page.get_by_role("combobox", name="Campaign or tag")
    campaign.click()
    campaign.fill(CAMPAIGN)
    campaign.press("Enter")
    make_take(page, server, "A red kite over a windy beach, take one")
    make_take(page, server, "A red kite over a windy beach, take two, closer")
    ids = ids_by_prompt(server)
    better = ids["A red kite over a windy beach, take two, closer"]

    # History: both ready; tick both, compare them.
    page.goto(f"{server.url}/history")
    expect(page.get_by_text("Ready", exact=True)).to_have_count(2, timeout=90_000)
    for number, take in enumerate(ids.values(), 1):
        page.locator(f'[class*="st-key-select-{take}"] label').click()
        expect(page.get_by_text(f"{number} selected")).to_be_visible()
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Compare takes")).to_be_visible()
    players = page.locator("#compare-root video")
    expect(players).to_have_count(2)
    page.locator(".compare-play").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#compare-root video')]"
        ".every(v => !v.paused && v.currentTime > 0.3)",
        timeout=30_000,
    )
    times = players.evaluate_all("vs => vs.map(v => v.currentTime)")
    assert max(times) - min(times) < 0.5, times  # played together
    page.locator(".compare-play").click()  # pause all
    # Take two is the better one: send it to review from here.
    page.locator(f'[class*="st-key-win-send-{better}"] button').click()
    expect(page.get_by_text("In review: 1 video.")).to_be_visible()

    # Its own page: a review link that lets the guest approve.
    page.goto(f"{server.url}/video?id={better}")
    expect(page.get_by_text("In review", exact=True)).to_be_visible()
    page.get_by_text("Review link for guests").click()
    page.locator('[class*="st-key-video-link-approval"] label').click()
    expect(page.get_by_role("checkbox", name="Guests may approve")).to_be_checked()
    page.get_by_role("button", name="Make a review link").click()
    link = page.locator("code").filter(has_text="/review/").inner_text().strip()
    assert link.startswith(server.url + "/review/")

    # A guest, in a browser that knows nobody.
    guest_context = browser.new_context()
    try:
        guest = guest_context.new_page()
        guest.goto(link)
        expect(guest.get_by_role("heading", name="Review: 1 video")).to_be_visible()
        assert guest.locator("video").count() == 1
        guest.get_by_label("Your name").first.fill("Cleo from Acme")
        guest.get_by_label("Comment").fill("0:02 love the ending <b>really</b>")
        guest.get_by_role("button", name="Post comment").click()
        expect(guest.get_by_text("your comment was added")).to_be_visible()
        guest.get_by_label("Your name").nth(1).fill("Cleo from Acme")
        guest.get_by_role("button", name="Approve").click()
        expect(guest.get_by_text("Approved. Thank you!")).to_be_visible()
    finally:
        guest_context.close()

    # The maker sees the approval and the comment.
    page.goto(f"{server.url}/video?id={better}")
    expect(page.get_by_text("Approved", exact=True)).to_be_visible()
    expect(page.get_by_text("Cleo from Acme (guest)", exact=False).first).to_be_visible()
    expect(page.get_by_text("0:02 love the ending <b>really</b>")).to_be_visible()

    # The campaign ZIP holds it.
    answer = page.request.get(f"{server.url}/api/approved.zip", params={"campaign": CAMPAIGN})
    assert answer.status == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.body()))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [(r["video_id"], r["approved_by"]) for r in rows] == [(better, "Cleo from Acme (guest)")]
    [video] = [name for name in archive.namelist() if name.endswith(".mp4")]
    assert archive.read(video)[4:8] == b"ftyp"
