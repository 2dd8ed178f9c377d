"""A video's own page (?id=...) under AppTest: player, prompt and settings, review, the
thread with a moment that moves the player, the family; an unknown id says so."""

from __future__ import annotations

import hashlib

from streamlit.testing.v1 import AppTest

from lib.domain.access import Actor
from lib.review.comments import post_comment
from lib.review.states import change_review
from tests.factories import make
from tests.history.pages import history, run
from tests.studio_harness import STUDIO


def video_page(task_id: str, who: str = "Ana") -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.switch_page("views/video.py")
    at.session_state["who"] = who
    at.query_params["id"] = task_id
    return run(at)


def player(at) -> str:
    return next(h.value for h in at.html if "<video" in h.value)


def test_the_page_shows_the_video_its_review_thread_and_family(store):
    failed = make(store, "failed", person="Ana")
    video = make(store, "archived", person="Ana", prompt="A kite <b>over</b> the sea")
    store.set_parent(video, failed, "retry")
    post_comment(store, Actor.member("Bea"), video, "0:04 the logo is cut [x](http://e.example)")
    at = video_page(video)
    assert "A kite <b>over</b> the sea" in [t.value for t in at.text]
    assert "0:04 the logo is cut [x](http://e.example)" in [t.value for t in at.text]
    assert f'src="/library/{video}.mp4"' in player(at) and 'preload="metadata"' in player(at)
    assert [link.label for link in at.get("page_link")][-1] == f"Tried again from {failed[:8]}"
    at.button(key="seek-1").click()
    at = run(at)
    assert f'src="/library/{video}.mp4#t=4"' in player(at)
    at.text_area(key="comment.text").input("Looks good\nship it")
    next(b for b in at.button if b.label == "Post comment").click()
    at = run(at)
    assert "Comments (2)" in [h.value for h in at.subheader]
    assert "Looks good\nship it" in [t.value for t in at.text]
    assert store.comments_of(video)[-1].author_name == "Ana"


def test_an_admin_approves_from_the_page_and_the_card_counts_comments(store):
    video = make(store, "archived", person="Ana")
    change_review(store, Actor.member("Ana"), [video], "in_review")
    post_comment(store, Actor.member("Bea"), video, "nice")
    at = video_page(video)  # demo mode: an admin
    at.button(key="approve").click()
    at = run(at)
    assert store.reviews_of([video])[video].state == "approved"
    cards = history("Ana")
    assert "Open · 1 comment" in [link.label for link in cards.get("page_link")]


def test_an_unknown_or_malformed_id_says_so(store):
    for bad in ("0" * 32, "../etc", ""):
        at = video_page(bad)
        assert next(w.value for w in at.warning).startswith("We couldn't find that video")


def test_a_review_link_is_made_shown_once_listed_and_withdrawn(store):
    video = make(store, "archived", person="Ana")
    at = video_page(video)
    at.checkbox(key="video.link.approval").check()
    at.button(key="video.link.make").click()
    at = run(at)
    [shown] = [c.value for c in at.code]
    token = shown.rsplit("/review/", 1)[1]
    [link] = store.review_links()
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert (link.scope, link.task_ids, link.allow_approval) == ("video", [video], True)
    cards = history("Ana")
    table = cards.dataframe[0].value
    assert list(table["Shares"]) == ["1 video"] and list(table["Opened"]) == [0]
    assert list(table["Guests may"]) == ["comment, approve"]
    cards.button(key="review_links.revoke").click()
    cards = run(cards)
    assert store.review_links()[0].revoked_at is not None
    assert list(cards.dataframe[0].value["State"]) == ["Withdrawn"]
