"""Restyle a take in a real browser (issue 18), as steps other walks reuse: make a short
video with the model that can restyle, restyle its card with an instruction (reading the
price shown before the press), and find the restyle in History and in the original's
family on its own page."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import av
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import StudioProcess

RESTYLE_MODEL = "Grok Imagine (official)"
PRICE = re.compile(r"costs (\$\d+\.\d{4})")


def card(page: Page, title: str) -> Locator:
    """The History card whose prompt is `title` (exactly)."""
    cards = page.locator('[class*="st-key-card-"]')
    return cards.filter(has=page.get_by_text(title, exact=True)).first


def wait_ready(page: Page, title: str) -> Locator:
    """The card of `title`, once its video is saved and plays."""
    found = card(page, title)
    expect(found.get_by_text("Ready", exact=True)).to_be_visible(timeout=90_000)
    return found


def restyle(page: Page, card_title: str, instruction: str) -> str:
    """On History: the card's Restyle, the price it shows before the press, the
    instruction, the press. -> the price shown (e.g. "$0.1660"), which the button and
    the confirmation repeat."""
    found = wait_ready(page, card_title)
    found.get_by_role("button", name=re.compile("Restyle")).first.click()
    form = page.locator('[data-testid="stPopoverBody"]').filter(has_text="Restyle instruction")
    caption = form.get_by_text(PRICE)
    expect(caption).to_be_visible()
    price = PRICE.search(caption.inner_text()).group(1)
    form.get_by_role("textbox", name="Restyle instruction").fill(instruction)
    form.get_by_role("button", name=f"Restyle for {price}").click()
    expect(page.get_by_text(f"Restyling — {price}. See it in History.")).to_be_visible()
    return price


def restyle_in_store(server: StudioProcess, instruction: str) -> tuple[str, int, int, str]:
    """(task id, estimate, charge, video file) of the restyle with this instruction."""
    with sqlite3.connect(server.data_dir / "studio.sqlite3") as db:
        return db.execute(
            "SELECT id, estimate_quota, cost_quota, video_file FROM tasks "
            "WHERE mode = 'restyle' AND prompt = ?",
            (instruction,),
        ).fetchone()


def decoded_seconds(path: Path) -> float:
    """The MP4's length, from its decoded frames (it plays)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames / float(stream.average_rate)
