"""Issue 18's "Done when", in a real browser: an admin makes a brand kit; a person picks it
and makes a 2 prompts × 2 shapes batch, whose grid total equals what the service charged
once every take settled; restyles one take at the price shown before the press; saves the
form as a recipe, and starts the next batch from it on the Recipes page. A banned word
of the kit is refused on the way.

The steps are the three flows' own (flows_kits, flows_batch, flows_restyle)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import StudioProcess
from tests.browser.flows_batch import make_batch, settled_total, wait_batch_done
from tests.browser.flows_kits import make_kit, pick_kit, save_recipe, use_recipe
from tests.browser.flows_restyle import (
    RESTYLE_MODEL,
    decoded_seconds,
    restyle,
    restyle_in_store,
    wait_ready,
)
from tests.browser.test_flows import open_create, set_duration

pytestmark = pytest.mark.browser

PROMPTS = ["A kite over a beach", "A paper boat on a puddle"]
KIT_WORDS = "Acme film:"


@pytest.fixture(scope="module")
def studio_server(tmp_path_factory):
    """This module's studio, its practice videos made 10 times sooner than the other
    browser tests' (four takes to wait for, and a restyle)."""
    server = StudioProcess(
        tmp_path_factory.mktemp("issue18") / "data", env={"STUDIO_EMBEDDED_TIME_SCALE": "0.1"}
    )
    server.start()
    yield server
    server.stop()


def takes_in_store(server: StudioProcess) -> list[tuple[str, str, str | None]]:
    """(batch id, kit name, recipe id) of every take of a batch, oldest first."""
    with sqlite3.connect(server.data_dir / "studio.sqlite3") as db:
        return db.execute(
            "SELECT batch_id, kit_name, recipe_id FROM tasks "
            "WHERE batch_id IS NOT NULL ORDER BY created_at"
        ).fetchall()


def go_to(page: Page, title: str) -> None:
    """A page from the sidebar's menu (a new address would start a new visit)."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=re.compile(f"^{title}"))).to_be_visible()


def test_a_kit_batch_a_restyle_and_a_recipe_that_starts_the_next_batch(
    page: Page, studio_server: StudioProcess
):
    url = studio_server.url
    open_create(page, studio_server)  # demo mode: everyone is an admin
    make_kit(page, url, "Acme", before=KIT_WORDS, banned="cheap")

    page.goto(f"{url}/")
    pick_kit(page, "Acme")
    page.get_by_role("combobox", name=re.compile("Model")).click()
    page.get_by_role("option", name=RESTYLE_MODEL, exact=True).click()
    set_duration(page, 1)  # 1 s takes: five renders on a busy machine, not five of 6 s
    generate = page.get_by_role("button", name=re.compile(r"^Generate 1 s"))
    page.get_by_role("textbox", name="Prompt").fill("A cheap kite")
    page.get_by_role("textbox", name="Prompt").press("Tab")
    generate.click()  # a banned word: refused at the prompt, nothing sent
    expect(page.get_by_text("which the brand kit “Acme” does not allow")).to_be_visible()
    total = make_batch(page, PROMPTS, ["16:9", "9:16"])
    wait_batch_done(page, 4)
    assert settled_total(page) == total  # the grid's total is what was charged
    first = f"{KIT_WORDS} {PROMPTS[0]}"  # the kit's words wrap every take's prompt
    expect(page.get_by_text("kit Acme").first).to_be_visible()

    price = restyle(page, first, "as watercolor")
    page.get_by_role("button", name="Show all videos").click()  # out of the batch
    wait_ready(page, "as watercolor")
    _, estimate, charged, video = restyle_in_store(studio_server, "as watercolor")
    assert f"${charged / 500_000:.4f}" == price and estimate == charged
    assert abs(decoded_seconds(studio_server.data_dir / "library" / video) - 1) < 0.05

    go_to(page, "Create")
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("\n".join(PROMPTS))
    save_recipe(page, "Acme kites", tags="beach")
    use_recipe(page, url, "Acme kites")
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("\n".join(PROMPTS))
    # A square one too: the same settings again within seconds would be the same batch
    # (a double click or a reload is never paid twice), and this machine may be that fast.
    make_batch(page, PROMPTS, ["16:9", "9:16", "1:1"])

    takes = takes_in_store(studio_server)
    assert len(takes) == 10 and len({batch for batch, _, _ in takes}) == 2
    assert all(kit == "Acme" for _, kit, _ in takes)  # both batches made with the kit
    assert [recipe is not None for _, _, recipe in takes] == [False] * 4 + [True] * 6
