"""Review links over real HTTP (issue 17): the guest page shows only what was shared,
every invalid token gets one neutral page, forms need their CSRF token, comments are
plain text and rate-limited, a guest approves only when an admin's link allows it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.domain.access import Role
from lib.review import links
from lib.review.hiding import hide_video
from lib.review.openings import Openings
from lib.review.states import change_review
from lib.storage import LIBRARY
from lib.store.team import AuditFilter
from tests.factories import make
from tests.review.conftest import person

NEUTRAL = "This review link is not valid (expired or withdrawn)."


@pytest.fixture
def quiet(studio):
    studio.studio.tracker.stop()
    return studio


def archived(quiet, **kw) -> str:
    video = make(quiet.studio.store, "archived", **kw)
    quiet.studio.storage.put_bytes(
        f"{LIBRARY}/{video}.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4"
    )
    return video


def share(quiet, videos, role=Role.ADMIN, **options):
    store = quiet.studio.store
    made = links.make_link(
        store, person(store, "Sam", role), "selection", task_ids=videos, **options
    )
    assert made.token, made.message
    return made


def url(quiet, token: str, tail: str = "") -> str:
    return f"{quiet.base_url}/review/{token}{tail}"


def opened(store, link_id: int, times: int, limit: float = 30):
    """The link once its openings reach `times` (they are counted after the page is
    sent), or as it is at the deadline."""
    deadline = time.monotonic() + limit
    while True:
        link = store.get_review_link(link_id)
        if link.opens >= times or time.monotonic() > deadline:
            return link
        time.sleep(0.05)


def csrf_of(page: requests.Response) -> str:
    return re.search(r'name=csrf value="([^"]+)"', page.text).group(1)


def test_the_guest_page_shows_only_what_was_shared_and_counts_openings(quiet):
    store = quiet.studio.store
    shared = archived(quiet, prompt="Secret launch <b>prompt</b>")
    other = archived(quiet, prompt="Another video")
    made = share(quiet, [shared])
    page = requests.get(url(quiet, made.token), timeout=30)
    assert page.status_code == 200 and "Review: 1 video" in page.text
    assert f"/review/{made.token}/media/{shared}.mp4" in page.text
    assert other not in page.text and "Secret launch" not in page.text  # prompts not chosen
    assert "$" not in page.text and "history" not in page.text.lower()  # no costs, no way in
    assert page.headers["Cache-Control"] == "no-store"
    requests.get(url(quiet, made.token), timeout=30)
    link = opened(store, made.link.id, 2)  # counted once the page is sent
    assert link.opens == 2 and link.last_opened_at is not None
    assert link.token_sha256 != made.token and made.token not in str(
        store.review_links()[0].__dict__
    )
    video = requests.get(url(quiet, made.token, f"/media/{shared}.mp4"), timeout=30)
    assert video.status_code == 200 and video.content.startswith(b"\x00\x00\x00\x18ftyp")
    assert (
        requests.get(url(quiet, made.token, f"/media/{other}.mp4"), timeout=30).status_code == 404
    )
    with_prompts = share(quiet, [shared], show_prompts=True)
    text = requests.get(url(quiet, with_prompts.token), timeout=30).text
    assert "Secret launch &lt;b&gt;prompt&lt;/b&gt;" in text


def test_expired_withdrawn_guessed_and_cut_tokens_get_one_neutral_page(quiet):
    store = quiet.studio.store
    video = archived(quiet)
    expired = share(quiet, [video])
    withdrawn = share(quiet, [video])
    sam = person(store, "Sam", Role.ADMIN)
    assert links.revoke_link(store, sam, withdrawn.link.id).startswith("Review link withdrawn")
    with store.writing() as session:
        from lib.store.schema import ReviewLink

        session.get(ReviewLink, expired.link.id).expires_at = datetime.now(UTC) - timedelta(1)
    tokens = [expired.token, withdrawn.token, "A" * 43, expired.token[:-1], "%00"]
    bodies = set()
    for token in tokens:
        answer = requests.get(url(quiet, token), timeout=30)
        assert answer.status_code == 404 and NEUTRAL in answer.text
        bodies.add(answer.text)
        media = requests.get(url(quiet, token, f"/media/{video}.mp4"), timeout=30)
        assert media.status_code == 404 and NEUTRAL in media.text
    assert len(bodies) == 1  # nothing tells one case from another


def test_a_guest_comments_as_plain_text_with_csrf_and_a_rate_limit(quiet, monkeypatch):
    store = quiet.studio.store
    video = archived(quiet)
    made = share(quiet, [video])
    guest = requests.Session()
    page = guest.get(url(quiet, made.token), timeout=30)
    form = {
        "csrf": csrf_of(page),
        "task": video,
        "name": "Cleo <i>",
        "text": "0:04 <script>x</script>",
    }
    forged = requests.post(url(quiet, made.token, "/comment"), data=form, timeout=30)
    assert forged.status_code == 403 and store.comments_of(video) == []
    done = guest.post(url(quiet, made.token, "/comment"), data=form, timeout=30)
    assert done.status_code == 200 and "your comment was added" in done.text
    [kept] = store.comments_of(video)
    assert (kept.author_name, kept.by_guest, kept.at_seconds) == ("Cleo <i>", True, 4.0)
    assert "&lt;script&gt;x&lt;/script&gt;" in done.text and "<script>x" not in done.text
    assert "Cleo &lt;i&gt; <span class=guest>guest</span>" in done.text
    huge = guest.post(
        url(quiet, made.token, "/comment"), data={**form, "text": "x" * 100_000}, timeout=30
    )
    assert huge.status_code == 400 and "Comment is too long" in huge.text
    nameless = guest.post(url(quiet, made.token, "/comment"), data={**form, "name": ""}, timeout=30)
    assert nameless.status_code == 400 and "Your name is empty" in nameless.text
    monkeypatch.setattr(links, "GUEST_COMMENTS", 3)
    answers = [
        guest.post(url(quiet, made.token, "/comment"), data={**form, "text": f"n{i}"}, timeout=30)
        for i in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Too many comments" in answers[-1].text
    assert len(store.comments_of(video)) == 3


def test_a_guest_approves_only_through_an_admins_link_that_allows_it(quiet):
    store = quiet.studio.store
    video = archived(quiet)
    member = person(store, "Mo", Role.MEMBER)
    refused = links.make_link(store, member, "video", task_ids=[video], allow_approval=True)
    assert refused.token is None and "Only admins" in refused.message
    viewer = links.make_link(store, person(store, "Vi", Role.VIEWER), "video", task_ids=[video])
    assert viewer.token is None
    assert (
        len(store.audit_events(AuditFilter(actions=["review_link.make"], outcome="refused"))) == 2
    )
    comments_only = share(quiet, [video])
    guest = requests.Session()
    page = guest.get(url(quiet, comments_only.token), timeout=30)
    assert "Approve" not in page.text
    form = {"csrf": csrf_of(page), "task": video, "name": "Cleo", "decision": "approve"}
    answer = guest.post(url(quiet, comments_only.token, "/decide"), data=form, timeout=30)
    assert answer.status_code == 400 and store.reviews_of([video]) == {}
    approving = share(quiet, [video], allow_approval=True)
    page = guest.get(url(quiet, approving.token), timeout=30)
    answer = guest.post(
        url(quiet, approving.token, "/decide"), data={**form, "csrf": csrf_of(page)}, timeout=30
    )
    assert answer.status_code == 200 and "Approved. Thank you!" in answer.text
    review = store.reviews_of([video])[video]
    assert (review.state, review.by_name, review.by_guest) == ("approved", "Cleo", True)
    assert opened(store, approving.link.id, 1).opens == 1  # its own redirect is not counted
    # Someone else cannot withdraw Sam's link.
    assert links.revoke_link(store, member, approving.link.id).startswith("Only whoever made")
    assert store.get_review_link(approving.link.id).revoked_at is None


def test_a_page_kept_for_every_guest_follows_each_change_and_keeps_each_guests_token(quiet):
    """The page is drawn once for all guests (lib/server/review_routes.py) and kept until
    the studio writes: what the maker changes shows at the next opening, a withdrawn link
    stops at once, and each guest's form carries their own CSRF token."""
    store = quiet.studio.store
    first, second = archived(quiet), archived(quiet)
    made = share(quiet, [first, second])
    ana, ben = requests.Session(), requests.Session()
    page = ana.get(url(quiet, made.token), timeout=30)
    assert "Review: 2 videos" in page.text and "Approved" not in page.text
    again = ben.get(url(quiet, made.token), timeout=30)
    assert csrf_of(page) == ana.cookies["review_csrf"] != csrf_of(again)
    assert csrf_of(again) == ben.cookies["review_csrf"]
    assert again.text.replace(csrf_of(again), csrf_of(page)) == page.text  # the same page
    sam = person(store, "Sam", Role.ADMIN)
    change_review(store, sam, [first], "approved")
    assert "Review: <strong>Approved</strong>" in ana.get(url(quiet, made.token), timeout=30).text
    hide_video(store, sam, second)
    assert f"v-{second}" not in ben.get(url(quiet, made.token), timeout=30).text
    assert links.revoke_link(store, sam, made.link.id).startswith("Review link withdrawn")
    gone = ana.get(url(quiet, made.token), timeout=30)
    assert gone.status_code == 404 and NEUTRAL in gone.text
    # Every opening counted, written together (lib/review/openings.py).
    assert opened(store, made.link.id, 4).opens == 4


def test_openings_are_written_together():
    written = []
    openings = Openings(written.append, after=3600)  # written here by hand, not by its timer
    now = datetime.now(UTC)
    for second in range(50):
        openings.count(7, now + timedelta(seconds=second))
    openings.count(8, now)
    openings.write_now()
    assert written == [{7: (50, now + timedelta(seconds=49)), 8: (1, now)}]
    openings.write_now()
    assert len(written) == 1  # nothing new: no write
