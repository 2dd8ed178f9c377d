"""Review states changed through lib/review (what the pages call), as every role: the
wrong role is refused, nothing changes, and the refusal is in the audit log."""

from __future__ import annotations

from lib.domain.access import Role
from lib.domain.review import ReviewState
from lib.review.states import change_review
from lib.store.team import AuditFilter
from tests.factories import make
from tests.review.conftest import person


def state(store, task_id: str) -> str:
    found = store.reviews_of([task_id]).get(task_id)
    return found.state if found else "draft"


def log(store, action: str, outcome: str) -> list:
    return store.audit_events(AuditFilter(actions=[action], outcome=outcome))


def test_maker_sends_to_review_and_an_admin_approves_both_logged(store):
    ana = person(store, "Ana", Role.MEMBER)
    boss = person(store, "Bea", Role.ADMIN)
    video = make(store, "archived", person="Ana")
    sent = change_review(store, ana, [video], ReviewState.IN_REVIEW)
    assert sent.ok and sent.message == "In review: 1 video."
    assert state(store, video) == "in_review"
    approved = change_review(store, boss, [video], "approved")
    assert approved.ok
    review = store.reviews_of([video])[video]
    assert (review.state, review.by_name, review.by_guest) == ("approved", "Bea", False)
    assert [e.actor_name for e in log(store, "review.send", "done")] == ["Ana"]
    assert [e.target for e in log(store, "review.approve", "done")] == [video]


def test_a_member_cannot_approve_nothing_changes_and_it_is_logged(store):
    ana = person(store, "Ana", Role.MEMBER)
    video = make(store, "archived", person="Ana")
    change_review(store, ana, [video], "in_review")
    refused = change_review(store, ana, [video], "approved")
    assert not refused.changed and "Only admins can approve" in refused.message
    assert state(store, video) == "in_review"
    [entry] = log(store, "review.approve", "refused")
    assert entry.actor_name == "Ana" and "Only admins" in entry.detail


def test_a_viewer_and_a_stranger_cannot_send_someone_elses_video(store):
    video = make(store, "archived", person="Ana")
    viewer = person(store, "Vic", Role.VIEWER)
    other = person(store, "Olu", Role.MEMBER)
    for who in (viewer, other, None):
        outcome = change_review(store, who, [video], "in_review")
        assert not outcome.changed and outcome.refused
    assert state(store, video) == "draft"
    assert len(log(store, "review.send", "refused")) == 3


def test_asking_for_changes_needs_a_reason_and_refuses_control_characters(store):
    boss = person(store, "Bea", Role.ADMIN)
    video = make(store, "archived", person="Ana")
    empty = change_review(store, boss, [video], "changes", "   ")
    assert empty.message == "Reason is empty: write a few words."
    bad = change_review(store, boss, [video], "changes", "logo\x07 cut")
    assert "control characters" in bad.message
    huge = change_review(store, boss, [video], "changes", "x" * 100_001)
    assert "Reason is too long" in huge.message
    assert state(store, video) == "draft"
    assert len(log(store, "review.changes", "refused")) == 3
    asked = change_review(store, boss, [video], "changes", "The logo is cut at 0:04")
    assert asked.ok and store.reviews_of([video])[video].reason == "The logo is cut at 0:04"


def test_bulk_changes_what_it_may_and_says_which_it_could_not(store):
    ana = person(store, "Ana", Role.MEMBER)
    mine = [make(store, "archived", person="Ana") for _ in range(2)]
    theirs = make(store, "archived", person="Olu")
    unfinished = make(store, "queued", person="Ana")
    outcome = change_review(store, ana, [*mine, theirs, unfinished], "in_review")
    assert sorted(outcome.changed) == sorted(mine)
    assert set(outcome.refused) == {theirs, unfinished}
    assert outcome.message.startswith("In review: 2 videos. Not changed: 2 videos")
    assert [state(store, v) for v in (*mine, theirs)] == ["in_review", "in_review", "draft"]
    # Sending again what is already in review is refused in the store's transaction.
    again = change_review(store, ana, mine, "in_review")
    assert not again.changed and "already in review" in again.message
