"""A batch in a real browser (issue 18): 2 prompts × 2 shapes on Create, the grid's
total, the batch in History as it arrives, and the grid's total equal to what the
service charged once every take is settled."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import StudioProcess
from tests.browser.flows_batch import make_batch, settled_total, wait_batch_done
from tests.browser.test_flows import open_create, set_duration

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def studio_server(tmp_path_factory):
    """This module's studio, its practice videos made 10 times sooner than the other
    browser tests' (four takes to wait for, not one)."""
    server = StudioProcess(
        tmp_path_factory.mktemp("batch") / "data", env={"STUDIO_EMBEDDED_TIME_SCALE": "0.1"}
    )
    server.start()
    yield server
    server.stop()


def test_a_2_prompts_by_2_shapes_batch_costs_what_its_grid_said(
    page: Page, studio_server: StudioProcess
):
    open_create(page, studio_server)
    # 1 s takes: four videos to render on a busy machine, not four of 6 s.
    page.get_by_role("combobox", name=re.compile("Model")).click()
    page.get_by_role("option", name="Grok Imagine (official)", exact=True).click()
    expect(page.get_by_text("xAI's own model")).to_be_visible()
    set_duration(page, 1)
    expect(page.get_by_role("button", name=re.compile(r"^Generate 1 s"))).to_be_visible()
    total = make_batch(page, ["A kite over a beach", "A paper boat on a puddle"], ["16:9", "9:16"])
    wait_batch_done(page, 4)
    assert settled_total(page) == total
