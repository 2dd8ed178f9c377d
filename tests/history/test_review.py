"""History's review (issue 17) under AppTest: the card's review line and "Send to
review", the Review filter, and a bulk change of the ticked cards after one confirmation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from lib.domain.access import Actor, Role
from lib.review.states import change_review
from lib.store.reviews import Reviewer
from tests.factories import make
from tests.history.pages import history, run, shown


def review_lines(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("Review:")]


def test_a_card_shows_its_review_and_sends_to_review(store):
    video = make(store, "archived", person="Ana")
    make(store, "queued", person="Ana")  # nothing to review yet: no line
    at = history("Ana")
    assert review_lines(at) == ["Review: **Draft**"]
    at.button(key=f"send-{video}").click()
    at = run(at)
    assert store.reviews_of([video])[video].state == "in_review"
    assert review_lines(at)[0].startswith("Review: **In review** by Ana, Today")
    assert not [b for b in at.button if b.key == f"send-{video}"]


def test_the_review_filter_and_a_bulk_approval_with_one_confirmation(store):
    drafts = [make(store, "archived", person="Ana") for _ in range(2)]
    sent = make(store, "archived", person="Ana")
    change_review(store, Actor.member("Ana"), [sent], "in_review")
    at = history("Ana")  # demo mode: everyone is an admin
    at.multiselect(key="history.review").select("In review")
    at = run(at)
    assert shown(at) == [sent]
    at.multiselect(key="history.review").unselect("In review").select("Draft")
    at = run(at)
    assert sorted(shown(at)) == sorted(drafts)
    for video in drafts:
        at.checkbox(key=f"select-{video}").check()
    at = run(at)
    assert "**2 selected**" in [m.value for m in at.markdown]
    at.selectbox(key="bulk.what").select("Approve")
    at.button(key="bulk.apply").click()
    at = run(at)
    assert [w.value for w in at.warning] == ["Approve: 2 videos. Are you sure?"]
    assert all(store.reviews_of([v]).get(v) is None for v in drafts)  # not yet
    at.button(key="bulk.yes").click()
    at = run(at)
    assert {store.reviews_of([v])[v].state for v in drafts} == {"approved"}
    assert "**2 selected**" not in [m.value for m in at.markdown]


def test_a_member_bulk_approving_is_refused_with_words(quiet, store, monkeypatch):
    members = replace(quiet.studio.config, open_role=Role.MEMBER)
    monkeypatch.setattr(quiet.studio, "config", members)
    video = make(store, "archived", person="Ana")
    at = history("Ana")
    at.checkbox(key=f"select-{video}").check()
    at = run(at)
    at.selectbox(key="bulk.what").select("Approve")
    at.button(key="bulk.apply").click()
    at = run(at)
    at.button(key="bulk.yes").click()
    at = run(at)
    assert store.reviews_of([video]).get(video) is None
    assert any("Only admins can approve" in t.value for t in at.toast)


def test_hide_from_the_card_then_an_admin_restores_it(store):
    video = make(store, "failed", person="Ana")
    at = history("Ana")  # demo mode: an admin
    at.button(key=f"hide-{video}").click()
    at = run(at)
    assert shown(at) == [] and store.hidden_among([video]) == {video}
    at.toggle(key="history.hidden").set_value(True)
    at = run(at)
    assert shown(at) == [video]
    at.button(key=f"restore-{video}").click()
    at = run(at)
    assert store.hidden_among([video]) == set()


def test_a_hidden_video_is_not_shown_to_others_by_its_link(quiet, store, monkeypatch):
    members = replace(quiet.studio.config, open_role=Role.MEMBER)
    monkeypatch.setattr(quiet.studio, "config", members)
    video = make(store, "archived", person="Ana")
    store.set_hidden(video, True, Reviewer(None, "Ana"), datetime.now(UTC))
    assert shown(history("Ana", task=video)) == [video]  # its maker sees it
    other = history("Olu", task=video)
    assert shown(other) == []
    assert any(w.value.startswith("We couldn't find that video") for w in other.warning)


def test_the_selection_reads_only_the_select_boxes():
    """History's bulk bar asks for the ticked cards on every run: among a page's ~200
    widgets, only the Select boxes' values are read (each read of Streamlit's session
    state goes through its proxy), in the order the cards were seen."""
    from collections.abc import Mapping

    from lib.history import reviewing

    class State(Mapping):
        def __init__(self, values: dict[str, object]):
            self.values, self.read = values, []

        def __getitem__(self, key: str) -> object:
            self.read.append(key)
            return self.values[key]

        def __iter__(self):
            return iter(self.values)

        def __len__(self) -> int:
            return len(self.values)

    state = State(
        {
            reviewing.select_key("b"): True,
            "history.search": "fox",
            reviewing.select_key("a"): False,
            "fav-a": False,
            reviewing.select_key("c"): True,
        }
    )
    assert reviewing.selected(state) == ["b", "c"]
    assert all(key.startswith(reviewing.SELECT_PREFIX) for key in state.read)
