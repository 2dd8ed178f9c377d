"""Issue 18's brand kits and recipes in a real browser: an admin makes a kit, a person
picks it on Create and makes a video whose card names the kit, saves the form as a
recipe, and starts again from it on the Recipes page (the form, the kit, all back)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import remember_name
from tests.browser.flows_kits import generate, make_kit, pick_kit, save_recipe, use_recipe

pytestmark = pytest.mark.browser


def test_a_kit_picked_on_create_is_on_the_card_and_a_recipe_starts_again(page, studio_server):
    url = studio_server.url
    remember_name(page.context, url)  # demo mode: everyone is an admin
    make_kit(page, url, "Acme", before="Acme brand film:", banned="cheap")
    page.goto(f"{url}/")
    pick_kit(page, "Acme")
    box = page.get_by_role("textbox", name="Prompt")
    box.fill("A cheap kite over the beach")
    box.press("Tab")
    page.get_by_role("button", name="Generate 6 s · $0.0446").click()
    expect(page.get_by_text("which the brand kit “Acme” does not allow")).to_be_visible()
    generate(page, "A red kite over the beach")
    save_recipe(page, "Kite for Acme", tags="beach, <b>spring</b>")
    page.get_by_role("link", name="Watch it arrive in History").click()
    expect(page.get_by_text("kit Acme").first).to_be_visible()

    use_recipe(page, url, "Kite for Acme")
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("A red kite over the beach")
    expect(page.get_by_text("Adds before the prompt: “Acme brand film:”.")).to_be_visible()
    generate(page, "A red kite over the beach, closer")
