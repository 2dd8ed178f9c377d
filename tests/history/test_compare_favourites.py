"""Favourites (each person's own) and their filter, and comparing 2–4 takes with one set
of controls, picking the winner there (issue 17), under AppTest."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from tests.factories import make
from tests.history.pages import history, run, shown
from tests.studio_harness import STUDIO


def test_favourites_are_each_persons_own_and_filter_history(store):
    liked, other = make(store, "archived"), make(store, "archived")
    at = history("Ana")
    at.button(key=f"fav-{liked}").click()
    at = run(at)
    assert next(b for b in at.button if b.key == f"fav-{liked}").label == "Favourite"
    at.toggle(key="history.favourites").set_value(True)
    at = run(at)
    assert shown(at) == [liked]
    bea = history("Bea")  # Bea has none
    bea.toggle(key="history.favourites").set_value(True)
    bea = run(bea)
    assert shown(bea) == [] and other
    at.button(key=f"fav-{liked}").click()  # and unmarked again
    at = run(at)
    assert shown(at) == []


def compare_page(ids: list[str]) -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.switch_page("views/compare.py")
    at.session_state["who"] = "Ana"
    at.query_params["ids"] = ",".join(ids)
    return run(at)


def test_compare_plays_takes_together_and_picks_the_winner(store):
    takes = [make(store, "archived") for _ in range(3)]
    at = history("Ana")
    for take in takes:
        at.checkbox(key=f"select-{take}").check()
    at = run(at)
    compare_button = next(b for b in at.button if b.key == "bulk.compare")
    assert not compare_button.disabled
    at = compare_page(takes)
    [players] = [h.value for h in at.html if "compare-root" in h.value]
    assert players.count("<video") == 3
    assert len(re.findall(r'<video preload="none"', players)) == 3  # only posters before Play
    assert "compare-play" in players and "compare-seek" in players
    assert players.count(" muted") == 2  # one sound track
    assert len([c for c in at.caption if c.value.startswith("Estimate")]) == 3
    at.button(key=f"win-approve-{takes[1]}").click()
    at = run(at)
    assert store.reviews_of(takes)[takes[1]].state == "approved"
    assert set(store.reviews_of(takes)) == {takes[1]}


def test_compare_needs_two_finished_takes(store):
    one = make(store, "archived")
    waiting = make(store, "queued")
    at = compare_page([one, waiting, "../x"])
    assert any(i.value.startswith("Choose two to four finished videos") for i in at.info)
