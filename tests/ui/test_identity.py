"""Who is using the studio, under AppTest through the whole app (sidebar included): a name
is remembered by the browser and never set by a link, and moving between pages works
whatever the address holds (issue 11, defects 1 and 2)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from lib.create import keys
from lib.ui import identity as people
from tests.factories import make
from tests.history.pages import on_page, run, shown
from tests.studio_harness import STUDIO


@pytest.fixture
def quiet(studio):
    studio.studio.tracker.stop()
    return studio


def app(to: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    run(at)
    if to:
        at.switch_page(to)
        run(at)
    return at


def name_field(at: AppTest):
    return at.sidebar.text_input(key=people.NAME_KEY)


def remembered(at: AppTest) -> dict:
    """What the page asks the browser to remember (the cookie element's data; none drawn
    while there is nothing to write)."""
    writers = [e for e in at.sidebar.get("bidi_component") if "remember_name" in str(e.proto)]
    assert len(writers) <= 1
    return json.loads(writers[0].proto.json) if writers else {}


def test_a_name_in_a_link_sets_nobody(quiet):
    at = app(who="Mallory")
    assert name_field(at).value == ""
    assert "who" not in at.query_params  # taken out of the address, not passed on
    assert remembered(at) == {}  # nothing to write: no name, none remembered
    at.text_area(key=keys.PROMPT).input("A lighthouse at dawn").run()
    [button] = [b for b in at.button if b.label.startswith("Generate")]
    button.click().run()
    assert any("Enter your name in the sidebar" in e.value for e in at.error)
    assert quiet.studio.store.tasks() == []


def test_a_link_to_history_with_a_name_sets_nobody_there_either(quiet):
    task_id = make(quiet.studio.store, "archived", person="Ana")
    at = app("views/history.py", who="Ana", task=task_id)
    assert shown(at) == [task_id]
    assert name_field(at).value == ""
    at = app("views/history.py", who="Ana")
    assert name_field(at).value == ""
    assert at.toggle(key="history.mine").disabled  # "Only mine" needs a name


def test_the_browser_remembers_the_typed_name(quiet, monkeypatch):
    at = app()
    name_field(at).input("  Ana   Lopez ").run()
    assert remembered(at) == {
        "cookie": people.COOKIE,
        "name": "Ana Lopez",
        "max_age": people.COOKIE_DAYS * 24 * 3600,
    }
    name_field(at).input("").run()  # emptied in the same tab: forgotten too
    assert remembered(at)["name"] == ""
    name_field(at).input("Ana Lopez").run()
    # A new tab of that browser sends the cookie: the name is there on its first run.
    monkeypatch.setattr(people, "browser_cookies", lambda: {people.COOKIE: "Ana%20Lopez"})
    tab = app()
    assert name_field(tab).value == "Ana Lopez"
    # Emptying the field forgets it.
    name_field(tab).input("").run()
    assert remembered(tab)["name"] == ""


def test_a_remembered_name_never_beats_a_typed_one(quiet, monkeypatch):
    monkeypatch.setattr(people, "browser_cookies", lambda: {people.COOKIE: "Ana"})
    at = app()
    name_field(at).input("Bo").run()
    run(at)  # later runs do not read the cookie again
    assert name_field(at).value == "Bo"


@pytest.mark.parametrize(
    "cookie", ["", "%", "%E2%28%A1", "x" * 500, "a%0Ab\tc", "%00%00"], ids=repr
)
def test_a_broken_cookie_is_no_name_or_a_clean_one(cookie):
    name = people.remembered_name({people.COOKIE: cookie})
    assert name == people.clean_name(name) and len(name) <= people.MAX_NAME


def test_use_these_settings_works_with_a_name_and_a_page_in_the_address(quiet):
    store = quiet.studio.store
    older = make(store, "archived", prompt="The oldest one", campaign="Summer")
    for _ in range(24):  # 25 videos: two pages, and the page number in the address
        make(store, "archived")
    at = app("views/history.py", page="2")
    name_field(at).input("Ana Lopez").run()
    assert shown(at) == [older]
    at.button(key=f"reuse-{older}").click()
    run(at)  # no "Cannot clear query parameters" error
    assert on_page(at).endswith("views/create.py")
    assert at.text_area(key=keys.PROMPT).value == "The oldest one"
    assert name_field(at).value == "Ana Lopez"
    assert "page" not in at.query_params and "who" not in at.query_params
