"""Restyle a take in a real browser (issue 18): a short video made, restyled "as
watercolor" at the price shown before the press, the restyle in History and in the
original's family, its MP4 decoded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import remember_name
from tests.browser.flows_restyle import (
    decoded_seconds,
    family_links,
    make_short_video,
    restyle,
    restyle_in_store,
    wait_ready,
)

pytestmark = pytest.mark.browser


def test_a_short_take_is_restyled_as_watercolor(page, studio_server):
    remember_name(page.context, studio_server.url)
    make_short_video(page, studio_server, "A paper boat on a pond, restyle me")

    price = restyle(page, "A paper boat on a pond, restyle me", "as watercolor")

    assert price == "$0.1660"  # 2 s x ($0.063 + $0.02)
    wait_ready(page, "as watercolor")  # in History, saved and playing
    task_id, estimate, charged, video = restyle_in_store(studio_server, "as watercolor")
    assert estimate == charged == 83_000  # the price shown is what was charged
    links = family_links(page, "A paper boat on a pond, restyle me")
    assert links == [f"Restyled as {task_id[:8]}"]
    expect(page.locator("video")).to_have_count(1)
    assert abs(decoded_seconds(studio_server.data_dir / "library" / video) - 2) < 0.05
