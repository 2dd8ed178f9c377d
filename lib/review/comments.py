"""Comments on a video: plain text (kept as typed, shown as text, never as markup),
refused with words when too long or holding control characters, editable by their
author for EDIT_MINUTES; one that starts with a moment ("0:04 ...") points the player
there. Anyone signed in may comment (viewers too: commenting spends nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.domain.access import Actor
from lib.domain.review import COMMENT, BadText, checked_text, time_stamp
from lib.store.reviews import Reviewer
from lib.store.schema import Comment
from lib.store.tasks import Store

EDIT_MINUTES = 10
SIGN_IN_FIRST = "Enter your name in the sidebar first, so your team knows who commented."
NOT_YOURS = "Only its author can change a comment."
TOO_LATE = f"A comment can be changed for {EDIT_MINUTES} minutes after it was written."


@dataclass(frozen=True)
class Posted:
    message: str
    comment: Comment | None = None

    @property
    def ok(self) -> bool:
        return self.comment is not None


def post_comment(
    store: Store, actor: Actor | None, task_id: str, text: str, now: datetime | None = None
) -> Posted:
    if actor is None:
        return Posted(SIGN_IN_FIRST)
    return post_as(store, Reviewer(actor.account_id, actor.name), task_id, text, now)


def post_as(
    store: Store, by: Reviewer, task_id: str, text: str, now: datetime | None = None
) -> Posted:
    """A comment by an account or a guest (lib/review/links.py checks the guest's link)."""
    try:
        kept = checked_text(COMMENT, text)
    except BadText as problem:
        _refused(store, by, "comment.add", str(problem), task_id)
        return Posted(str(problem))
    comment = store.add_comment(task_id, by, kept, time_stamp(kept), now or datetime.now(UTC))
    if comment is None:
        return Posted("This video no longer exists.")
    return Posted("Comment added.", comment)


def may_edit(actor: Actor | None, comment: Comment, now: datetime | None = None) -> bool:
    return _edit_problem(actor, comment, now or datetime.now(UTC)) is None


def _edit_problem(actor: Actor | None, comment: Comment, now: datetime) -> str | None:
    if actor is None or comment.by_guest or actor.account_id is None:
        return NOT_YOURS
    if comment.author_id != actor.account_id:
        return NOT_YOURS
    if now - comment.created_at > timedelta(minutes=EDIT_MINUTES):
        return TOO_LATE
    return None


def edit_comment(
    store: Store, actor: Actor | None, comment_id: int, text: str, now: datetime | None = None
) -> Posted:
    now = now or datetime.now(UTC)
    comment = store.get_comment(comment_id)
    if comment is None:
        return Posted("This comment no longer exists.")
    by = Reviewer(actor.account_id if actor else None, actor.name if actor else "")
    problem = _edit_problem(actor, comment, now)
    if problem:
        _refused(store, by, "comment.edit", problem, comment.task_id)
        return Posted(problem)
    try:
        kept = checked_text(COMMENT, text)
    except BadText as bad:
        _refused(store, by, "comment.edit", str(bad), comment.task_id)
        return Posted(str(bad))
    store.edit_comment(comment_id, kept, time_stamp(kept), by, now)
    return Posted("Comment changed.", store.get_comment(comment_id))


def _refused(store: Store, by: Reviewer, action: str, why: str, target: str) -> None:
    who = by.name + (" (guest)" if by.guest else "")
    store.audit(
        action,
        actor_id=by.account_id,
        actor_name=who,
        outcome="refused",
        target=target,
        detail=why,
        now=datetime.now(UTC),
    )
