"""Variations on the Create page under AppTest (issue 18): off, the form is the single-take
form; on, the grid shows every take with its price and the total, a take its model can't
make blocks the press with the take named, a batch over a cap is refused whole, and one
press stores every take at once (each its own key), visible in History as a batch."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from lib.create import keys
from lib.domain.budgets import Scope
from lib.domain.urls import BATCH_PARAM
from tests.create.test_page import errors, page  # noqa: F401 - the page fixture
from tests.history import pages


def make_button(at: AppTest):
    [button] = [b for b in at.button if b.label.startswith("Make ")]
    return button


def vary(at: AppTest, prompt: str, ratios: list[str]) -> AppTest:
    at.text_area(key=keys.PROMPT).input(prompt).run()
    at.toggle(key=keys.VARY).set_value(True).run()
    at.multiselect(key=keys.VARY_RATIOS).set_value(ratios).run()
    assert not at.exception, at.exception
    return at


def test_the_grid_prices_every_take_and_one_press_stores_the_batch(page, studio):  # noqa: F811
    assert page.toggle(key=keys.VARY).value is False  # off: the single-take form
    assert [b.label for b in page.button if b.label.startswith(("Generate", "Make "))] == [
        "Generate 6 s · $0.0446"
    ]
    assert not page.dataframe
    vary(page, "A kite over a beach\nA paper boat on a puddle", ["16:9", "9:16"])
    [grid] = page.dataframe
    assert list(grid.value["Shape"]) == ["16:9", "9:16", "16:9", "9:16"]
    assert set(grid.value["Price"]) == {"$0.0446"}
    assert any("4 takes · $0.1785 together" in m.value for m in page.markdown)
    assert make_button(page).label == "Make 4 takes · $0.1785"
    make_button(page).click().run()
    assert not page.exception, page.exception
    store = studio.studio.store
    [batch] = {t.batch_id for t in store.tasks()}
    assert len(store.batch_takes(batch)) == 4
    assert any("4 takes are on their way" in s.value for s in page.success)
    make_button(page).click().run()  # the second click of a double click
    assert len(store.tasks()) == 4
    history = pages.history("Ana Lopez", **{BATCH_PARAM: batch})
    assert len(pages.shown(history)) == 4  # each take, as a card
    assert any("4 takes of “A kite over a beach”" in h.value for h in history.subheader)


def test_a_shape_the_model_lacks_names_the_take_and_nothing_is_sent(page, studio):  # noqa: F811
    vary(page, "A kite", ["16:9", "4:3"])  # Grok Imagine 1.0 has no 4:3
    assert make_button(page).disabled
    said = " ".join(errors(page))
    assert "1 of the 2 takes can't be made as set: take 2" in said and "4:3" in said
    assert studio.studio.store.tasks() == []


def test_a_batch_over_a_cap_is_shown_over_and_refused_whole(page, studio):  # noqa: F811
    studio.studio.store.set_budget(Scope.TEAM, "", 3 * 22313, "Alex Admin", _now())
    vary(page, "A {red|blue} kite", ["16:9", "9:16"])
    assert make_button(page).disabled
    assert any("the batch is" in e.value and "over" in e.value for e in page.error)
    from lib.create import batch  # the press itself, past the page's hint

    result = batch.send(studio.studio, page.session_state, "Ana Lopez")
    assert result.batch_id is None and "These 4 takes" in (result.notice or "")
    assert studio.studio.store.tasks() == []


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_the_variations_set_are_still_there_after_a_visit_to_history(page, studio):  # noqa: F811
    vary(page, "A kite over a beach", ["16:9", "9:16"])
    page.multiselect(key=keys.VARY_DURATIONS).set_value([6, 10]).run()
    page.number_input(key=keys.VARY_TAKES).set_value(2).run()
    page.switch_page("views/history.py").run()
    assert not page.exception, page.exception
    page.switch_page("views/create.py").run()
    assert not page.exception, page.exception
    assert page.toggle(key=keys.VARY).value is True
    assert page.multiselect(key=keys.VARY_RATIOS).value == ["16:9", "9:16"]
    assert page.multiselect(key=keys.VARY_DURATIONS).value == [6, 10]
    assert page.number_input(key=keys.VARY_TAKES).value == 2
    assert make_button(page).label.startswith("Make 8 takes · ")
