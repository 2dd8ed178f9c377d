"""A new user's first hour, in a real browser (issue 11): a name the browser remembers
and no link sets, "Use these settings" with a name typed, sharing a video, messages that
follow the form, and the Costs period control on a laptop screen."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import Page, expect

from lib.ui.identity import COOKIE
from tests.browser.conftest import StudioProcess, remember_name

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 1000}


def name_field(page: Page):
    return page.get_by_role("textbox", name="Your name")


def no_error_box(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def newest_task(server: StudioProcess) -> str:
    with sqlite3.connect(server.data_dir / "studio.sqlite3") as db:
        return db.execute("SELECT id FROM tasks ORDER BY created_at DESC LIMIT 1").fetchone()[0]


def test_a_new_user_names_themselves_reuses_settings_and_shares_a_video(browser, studio_server):
    url = studio_server.url
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    stranger = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        # An old link with someone's name in it makes nobody that person.
        page.goto(f"{url}/?who=Mallory")
        expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
        expect(page.get_by_text("Demo mode: practice videos made on this computer")).to_be_visible()
        expect(name_field(page)).to_have_value("")
        page.wait_for_url(lambda address: "who=" not in address)

        # The person says who they are, and makes a video.
        name_field(page).fill("Ana Lopez")
        name_field(page).press("Enter")
        # Generous: as the suite's first browser test, the page's cookie-writing element
        # may be loaded for the first time by a server that has just started.
        page.wait_for_function(
            f"() => document.cookie.includes('{COOKIE}=Ana%20Lopez')", timeout=90_000
        )
        prompt = "A teaser: a red sneaker spinning on a turntable, studio light"
        page.get_by_role("textbox", name="Prompt").fill(prompt)
        page.get_by_role("button", name="Generate 6 s · $0.0446").click()
        expect(page.get_by_text("Your video is on its way")).to_be_visible()
        task_id = newest_task(studio_server)
        page.get_by_text("Watch it arrive in History").click()
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        assert "who=" not in page.url and "Ana" not in page.url

        # A new tab (or a bookmark) already knows who this is, on its first render.
        tab = context.new_page()
        tab.goto(f"{url}/history")
        expect(name_field(tab)).to_have_value("Ana Lopez")
        tab.close()

        # "Use these settings" with a name typed: Create shows the settings, no error box.
        page.get_by_role("button", name="Use these settings").first.click()
        expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
        expect(page.get_by_role("textbox", name="Prompt")).to_have_value(prompt)
        expect(name_field(page)).to_have_value("Ana Lopez")
        no_error_box(page)

        # Share: a clean link to that one video, copied, with a short confirmation.
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="History").click()
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        card = page.locator(f".st-key-card-{task_id}")
        card.get_by_role("button", name="Share").click()
        expect(card.get_by_text("Link copied")).to_be_visible()
        link = page.evaluate("() => navigator.clipboard.readText()")
        assert link == f"{url}/history?task={task_id}"
        expect(card.get_by_role("textbox", name="Link to this video")).to_have_value(link)

        # Someone else opens it: that video alone, and they are nobody in particular.
        other = stranger.new_page()
        other.goto(link)
        expect(other.get_by_text(prompt)).to_be_visible()
        expect(other.get_by_role("button", name="Use these settings")).to_have_count(1)
        expect(name_field(other)).to_have_value("")
        no_error_box(other)
    finally:
        stranger.close()
        context.close()


def test_share_without_the_clipboard_api_shows_the_link_selected(browser, studio_server):
    """Over plain http on another address the page is no secure context and has no
    navigator.clipboard: the link is selected in a field and copied the old way."""
    url = studio_server.url
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(
        "Object.defineProperty(window, 'isSecureContext', {get: () => false});"
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});"
    )
    reader = browser.new_context()
    reader.grant_permissions(["clipboard-read"], origin=url)
    try:
        remember_name(context, url)
        page = context.new_page()
        page.goto(f"{url}/")
        page.get_by_role("textbox", name="Prompt").fill("A kite over dunes at sunset")
        page.get_by_role("button", name="Generate 6 s · $0.0446").click()
        expect(page.get_by_text("Your video is on its way")).to_be_visible()
        task_id = newest_task(studio_server)
        page.goto(f"{url}/history?task={task_id}")
        card = page.locator(f".st-key-card-{task_id}")
        card.get_by_role("button", name="Share").click()
        field = card.get_by_role("textbox", name="Link to this video")
        expect(field).to_have_value(f"{url}/history?task={task_id}")
        selected = field.evaluate("f => f.value.substring(f.selectionStart, f.selectionEnd)")
        assert selected == f"{url}/history?task={task_id}"  # ready for Ctrl+C by hand
        expect(card.get_by_text("Link copied")).to_be_visible()
        check = reader.new_page()
        check.goto(f"{url}/_stcore/health")
        assert check.evaluate("() => navigator.clipboard.readText()") == selected
    finally:
        reader.close()
        context.close()


def test_a_prompt_pasted_over_the_limit_keeps_what_fits_and_says_so(page, studio_server):
    remember_name(page.context, studio_server.url)
    page.goto(f"{studio_server.url}/")
    box = page.get_by_role("textbox", name="Prompt")
    pasted = "A long brief. " * 400  # 5,600 characters
    box.fill(pasted)
    box.press("Control+Enter")
    expect(page.get_by_text("The form keeps the first 4,000")).to_be_visible()
    expect(box).to_have_value(pasted[:4000])
    # A length out of range is said as soon as it is typed, and goes once put right.
    duration = page.get_by_role("spinbutton", name="Duration (seconds)")
    duration.fill("31")
    duration.press("Tab")
    rule = "Duration (seconds) must be a whole number of seconds from 6 to 30; you gave 31."
    expect(page.get_by_text(rule)).to_be_visible()
    duration.fill("12")
    duration.press("Tab")
    expect(page.get_by_text(rule)).to_have_count(0)
    # A number the box cannot hold: the message names what the box now shows (the box
    # reads "1e20" as 1), never a value the person cannot see.
    duration.fill("1e20")
    duration.press("Tab")
    shown = duration.input_value()
    expect(page.get_by_text(rule.replace("you gave 31", f"you gave {shown}"))).to_be_visible()


def test_every_costs_period_is_visible_on_a_laptop_screen(browser, studio_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        remember_name(context, studio_server.url)
        page = context.new_page()
        page.goto(f"{studio_server.url}/")
        page.get_by_role("textbox", name="Prompt").fill("A paper plane over a city")
        page.get_by_role("button", name="Generate 6 s · $0.0446").click()
        expect(page.get_by_text("Your video is on its way")).to_be_visible()
        page.goto(f"{studio_server.url}/costs")
        expect(page.get_by_role("heading", name="Costs")).to_be_visible()
        group = page.get_by_test_id("stButtonGroup").first
        for choice in ("This month", "Last 7 days", "Last 30 days", "All time", "Pick dates"):
            option = group.get_by_role("radio", name=choice)
            expect(option).to_be_visible()
            inside = option.evaluate(
                """o => { const r = o.getBoundingClientRect();
                   let p = o.parentElement;
                   while (p) {
                     const s = getComputedStyle(p);
                     if (s.overflowX !== 'visible') {
                       const b = p.getBoundingClientRect();
                       if (r.left < b.left - 1 || r.right > b.right + 1) return false;
                     }
                     p = p.parentElement;
                   }
                   return r.right <= window.innerWidth; }"""
            )
            assert inside, f"{choice!r} is cut off at 1280 px"
    finally:
        context.close()
