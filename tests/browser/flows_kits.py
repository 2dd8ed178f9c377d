"""Reusable steps of the brand-kit and recipe flows (issue 18), for browser tests: each
acts as a person would and waits for what they would see."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def make_kit(page: Page, base_url: str, name: str, before: str = "", banned: str = "") -> None:
    """An admin makes a kit on the Brand kits page."""
    page.goto(f"{base_url}/kits")
    expect(page.get_by_role("heading", name="Brand kits")).to_be_visible()
    page.get_by_role("textbox", name="Kit name").fill(name)
    if before:
        page.get_by_role("textbox", name="Words before every prompt").fill(before)
    if banned:
        page.get_by_role("textbox", name=re.compile("^Banned words")).fill(banned)
    page.get_by_role("button", name="Save kit").click()
    expect(page.get_by_text(f"Kit “{name}” saved.")).to_be_visible()


def pick_kit(page: Page, name: str) -> None:
    """On Create, pick the kit (its words are then said under the picker)."""
    picker = page.get_by_role("combobox", name="Brand kit")
    picker.click()
    page.get_by_role("option", name=name, exact=True).click()
    expect(page.get_by_text("Adds before the prompt")).to_be_visible()


def save_recipe(page: Page, title: str, tags: str = "") -> None:
    """On Create: the form as it is, saved as a recipe."""
    page.get_by_role("button", name=re.compile("Save as recipe")).click()
    page.get_by_role("textbox", name="Recipe title").fill(title)
    if tags:
        page.get_by_role("textbox", name="Tags (comma-separated)").fill(tags)
    page.get_by_role("textbox", name="Recipe title").press("Tab")
    page.get_by_role("button", name="Save recipe").click()
    expect(page.get_by_text(f"Saved as the recipe “{title}”.")).to_be_visible()
    page.keyboard.press("Escape")


def use_recipe(page: Page, base_url: str, title: str) -> None:
    """From the Recipes page (by the menu: the same visit, what the person set kept),
    start Create from the recipe called `title`."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Recipes").click()
    expect(page.get_by_role("heading", name="Recipes")).to_be_visible()
    card = page.locator("[class*='st-key-recipe-']").filter(has_text=title).first
    card.get_by_role("button", name="Use this recipe").click()
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
    expect(page.get_by_text(f"Started from the recipe “{title}”.")).to_be_visible()
