"""The Brand kits and Recipes pages under AppTest (issue 18): bad kit input is said at
its field and nothing is kept; tags with markup are shown as text, never as markup."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from lib.create import keys, recipes
from lib.create.draft import draft_from
from lib.domain.access import Actor
from tests.create.test_page import plain
from tests.studio_harness import STUDIO


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = "Ana"  # demo mode: everyone is an admin
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_a_bad_kit_is_said_at_its_fields_and_nothing_is_kept(studio):
    at = open_page("views/kits.py")
    at.text_input(key="kits.name-new").set_value("K" * 200)
    at.text_area(key="kits.banned-new").set_value("cheap\nfre+e")
    at.button[0].click().run()  # the form's "Save kit"
    assert not at.exception, at.exception
    shown = " ".join(plain(e.value) for e in at.error)
    assert "Kit name is too long: 200 characters" in shown
    assert "Banned words" in shown and "looks like a pattern" in shown
    assert "Nothing was saved" in shown
    assert studio.studio.store.kits() == []
    at.text_input(key="kits.name-new").set_value("Acme")
    at.text_area(key="kits.banned-new").set_value("cheap\nfree trial")
    at.button[0].click().run()
    assert [k.banned for k in studio.studio.store.kits()] == [("cheap", "free trial")]


def test_recipe_tags_with_markup_are_shown_as_text(studio):
    store = studio.studio.store
    draft = draft_from({**keys.defaults(), keys.PROMPT: "A kite"})
    saved = recipes.save_recipe(store, Actor.member("Ana"), draft, "Kite", "<b>spring</b>, beach")
    assert saved.recipe is not None
    at = open_page("views/recipes.py")
    tags = [c.value for c in at.caption if "spring" in c.value]
    assert tags == ["Tags: \\<b\\>spring\\</b\\> · beach"], tags
    assert "Used for 0 videos" in " ".join(c.value for c in at.caption)
