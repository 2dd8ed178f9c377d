"""Changing the review state of one video or a selection, as the person asking may:
the maker (or an admin) sends to review, an admin approves or asks for changes with a
reason. Checked here, whatever the page shows; every refusal is in the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lib.domain.access import (
    Actor,
    NotAllowed,
    check_can_approve,
    check_can_send_to_review,
)
from lib.domain.review import (
    REASON,
    REVIEW_ACTIONS,
    REVIEW_WORDS,
    BadText,
    ReviewState,
    checked_text,
)
from lib.store.reviews import Reviewer
from lib.store.tasks import Store

MAKER_MOVES = (ReviewState.IN_REVIEW, ReviewState.DRAFT)  # the maker's; the rest: admins


@dataclass(frozen=True)
class Outcome:
    message: str
    changed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.changed) and not self.refused


def videos(count: int) -> str:
    return "1 video" if count == 1 else f"{count} videos"


def change_review(
    store: Store,
    actor: Actor | None,
    task_ids: Sequence[str],
    target: ReviewState | str,
    reason: str = "",
) -> Outcome:
    """Move these videos to `target`. Those this person may not move, or whose state
    does not allow it, are left as they are and said why."""
    try:
        target = ReviewState(target)
    except ValueError:
        return Outcome("A review state is draft, in review, approved or changes asked.")
    action = REVIEW_ACTIONS[target]
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        return Outcome("Choose at least one video first.")
    try:
        text = checked_text(REASON, reason, required=target == ReviewState.CHANGES)
    except BadText as problem:
        store.audit_refused(actor, action, str(problem), ",".join(ids)[:320])
        return Outcome(str(problem))
    allowed, refused = _rights(store, actor, ids, target, action)
    if allowed:
        assert actor is not None
        by = Reviewer(actor.account_id, actor.name)
        done = store.change_reviews(allowed, target, text, by, datetime.now(UTC), action)
        refused.update(done.refused)
        changed = done.changed
    else:
        changed = []
    return Outcome(_words(target, changed, refused), changed, refused)


def _rights(
    store: Store, actor: Actor | None, ids: list[str], target: ReviewState, action: str
) -> tuple[list[str], dict[str, str]]:
    refused: dict[str, str] = {}
    if target not in MAKER_MOVES:
        try:
            check_can_approve(actor, action)
        except NotAllowed as refusal:
            store.audit_refused(actor, action, str(refusal), ",".join(ids)[:320])
            return [], dict.fromkeys(ids, str(refusal))
        return ids, refused
    allowed: list[str] = []
    found = {task.id: task for task in store.tasks_by_ids(ids)}
    for task_id in ids:
        task = found.get(task_id)
        if task is None:
            refused[task_id] = "This video no longer exists."
            continue
        try:
            check_can_send_to_review(actor, task.account_id, task.person, action)
        except NotAllowed as refusal:
            store.audit_refused(actor, action, str(refusal), task_id)
            refused[task_id] = str(refusal)
            continue
        allowed.append(task_id)
    return allowed, refused


def _words(target: ReviewState, changed: list[str], refused: dict[str, str]) -> str:
    parts = []
    if changed:
        parts.append(f"{REVIEW_WORDS[target]}: {videos(len(changed))}.")
    if refused:
        reasons = sorted(set(refused.values()))
        parts.append(f"Not changed: {videos(len(refused))} — {' '.join(reasons)}")
    return " ".join(parts)
