"""Steps of the batch flow (issue 18) in a real browser, as reusable functions: the
issue's one "Done when" walk composes them with the kit, restyle and recipe flows."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

# "4 takes · $0.1785 together" under the grid; "charged $0.1785" on the batch in History.
_TOTAL = re.compile(r"(\d+) takes? · (\$[\d,.]+) together")
_CHARGED = re.compile(r"Estimate \$[\d,.]+ · charged (\$[\d,.]+)$")


def make_batch(page: Page, prompts: list[str], ratios: list[str]) -> str:
    """On Create (open, the person's name known): one prompt per line, variations on,
    these shapes; checks the grid has a row per take, presses "Make N takes" and opens
    the batch in History. -> the total the grid showed ("$0.1785")."""
    prompt = page.get_by_role("textbox", name="Prompt")
    prompt.fill("\n".join(prompts))
    prompt.press("Tab")  # sent as it loses focus
    # The switch and the lists are kept while the person visits other pages: a batch
    # made before leaves them on and filled.
    switch = page.get_by_role("switch", name="Make variations")
    if not switch.is_checked():
        page.get_by_text("Make variations", exact=True).click()
    expect(switch).to_be_checked()
    shapes = page.get_by_role("combobox", name=re.compile("Shapes"))
    # The innermost group holding the Shapes list (its own "Clear all", not another list's).
    shapes_list = page.get_by_role("group").filter(has=shapes).last
    clear = shapes_list.get_by_role("button", name="Clear all")
    if clear.count():
        clear.click()
    # The grid's total shows once the page has run with variations on: the lists are then
    # the ones to click (a click during that run can land on a list being replaced).
    expect(page.get_by_text(_TOTAL)).to_have_text(re.compile(rf"^{len(prompts)} takes? · "))
    for count, ratio in enumerate(ratios, start=1):
        pick(page, shapes, ratio)
        total = len(prompts) * count
        expect(page.get_by_text(_TOTAL)).to_have_text(re.compile(rf"^{total} takes? · "))
    page.keyboard.press("Escape")  # the list stays open after a pick: close it
    takes = len(prompts) * len(ratios)
    total_line = page.get_by_text(_TOTAL)
    expect(total_line).to_have_text(re.compile(rf"^{takes} takes · "))
    total = _TOTAL.search(total_line.inner_text()).group(2)  # type: ignore[union-attr]
    page.get_by_role("button", name=f"Make {takes} takes · {total}").click()
    expect(page.get_by_text(f"{takes} takes are on their way")).to_be_visible()
    page.get_by_text("Watch them arrive in History").click()
    expect(page.get_by_role("heading", name=re.compile(rf"{takes} takes of"))).to_be_visible()
    return total


def pick(page: Page, box: Locator, name: str, tries: int = 5) -> None:
    """Choose `name` in a multiselect. A rerun of the page that lands just after the click
    (the prompt's text sent as it loses focus) closes the list again: then open it again."""
    option = page.get_by_role("option", name=name, exact=True)
    for _ in range(tries - 1):
        box.click()
        try:
            expect(option).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    else:
        box.click()
    option.click()


def wait_batch_done(page: Page, takes: int, timeout_ms: int = 120_000) -> None:
    """On the batch in History: every take ready (the heading's progress line says so)."""
    expect(page.get_by_text(f"{takes} ready", exact=True)).to_be_visible(timeout=timeout_ms)


def settled_total(page: Page) -> str:
    """On a finished batch in History: what the service charged for all its takes."""
    line = page.get_by_text(_CHARGED)
    expect(line).to_be_visible()
    return _CHARGED.search(line.inner_text()).group(1)  # type: ignore[union-attr]
