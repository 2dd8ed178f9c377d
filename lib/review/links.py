"""Review links for people without an account: made by a member or admin for one video,
a selection or a whole campaign; a long random token that only its sharer sees once (the
store keeps its SHA-256), an expiry (7 days unless chosen), withdrawable. A guest may
comment under a name they type (marked "guest"), and approve or ask for changes only
when an admin made the link so. Anything not valid is one neutral answer."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.domain.access import Actor, NotAllowed, check_can_spend
from lib.domain.review import COMMENT, GUEST_NAME, REASON, BadText, ReviewState, checked_text
from lib.domain.statuses import TaskStatus
from lib.review.comments import Posted, post_as
from lib.store.reviews import Reviewer
from lib.store.schema import ReviewLink, Task
from lib.store.tasks import Store

DEFAULT_DAYS = 7
MAX_DAYS = 90
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
# A link's guests may post this many comments per window (all guests of the link).
GUEST_COMMENTS = 30
GUEST_WINDOW = timedelta(minutes=10)
TOO_MANY = (
    "Too many comments through this review link in the last few minutes. "
    "Wait ten minutes and try again."
)
SCOPES = ("video", "selection", "campaign")
NOT_VALID = "This review link is not valid (expired or withdrawn)."


@dataclass(frozen=True)
class Made:
    message: str
    token: str | None = None  # shown once to the sharer, never stored
    link: ReviewLink | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def make_link(
    store: Store,
    actor: Actor | None,
    scope: str,
    *,
    task_ids: Sequence[str] = (),
    campaign: str = "",
    allow_comments: bool = True,
    allow_approval: bool = False,
    show_prompts: bool = False,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> Made:
    now = now or datetime.now(UTC)
    action = "review_link.make"
    try:
        check_can_spend(actor, action)  # viewers watch; members and admins share
        if allow_approval and not (actor and actor.is_admin):
            raise NotAllowed("Only admins can make a link that lets guests approve.", action)
    except NotAllowed as refusal:
        store.audit_refused(actor, action, str(refusal), scope)
        return Made(str(refusal))
    assert actor is not None
    problem, title, ids = _scope_problem(store, scope, task_ids, campaign)
    if problem is None and not 1 <= days <= MAX_DAYS:
        problem = f"A review link lasts from 1 to {MAX_DAYS} days."
    if problem:
        store.audit_refused(actor, action, problem, scope)
        return Made(problem)
    token = secrets.token_urlsafe(32)
    link = ReviewLink(
        token_sha256=token_hash(token),
        scope=scope,
        campaign=campaign if scope == "campaign" else "",
        task_ids=ids,
        title=title,
        allow_comments=allow_comments,
        allow_approval=allow_approval,
        show_prompts=show_prompts,
        created_by_id=actor.account_id,
        created_by_name=actor.name,
        created_at=now,
        expires_at=now + timedelta(days=days),
        opens=0,
    )
    made = store.add_review_link(link, now)
    return Made(f"Review link made: valid for {days} days.", token, made)


def _scope_problem(
    store: Store, scope: str, task_ids: Sequence[str], campaign: str
) -> tuple[str | None, str, list[str]]:
    if scope not in SCOPES:
        return "A review link shares one video, a selection or a campaign.", "", []
    if scope == "campaign":
        if not campaign or not store.finished_in_campaign(campaign, 1):
            return "This campaign has no finished videos to share yet.", "", []
        return None, f"Campaign {campaign}", []
    ids = list(dict.fromkeys(task_ids))
    if not ids or (scope == "video" and len(ids) != 1):
        return "Choose the videos to share first.", "", []
    found = store.tasks_by_ids(ids)
    if len(found) != len(ids) or any(t.status != TaskStatus.COMPLETED for t in found):
        return "Only finished videos can be shared for review.", "", []
    if store.hidden_among(ids):
        return "A hidden video cannot be shared: an admin can bring it back first.", "", []
    title = "1 video" if len(ids) == 1 else f"{len(ids)} videos"
    return None, title, ids


def valid_link(store: Store, token: str, now: datetime | None = None) -> ReviewLink | None:
    """The link this token opens, or None (malformed, unknown, expired or withdrawn:
    the guest is told the same in every case)."""
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        return None
    link = store.review_link_by_hash(token_hash(token))
    now = now or datetime.now(UTC)
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        return None
    return link


def shared_tasks(store: Store, link: ReviewLink) -> list[Task]:
    """What the link shows: its finished videos (those since gone or hidden left out)."""
    if link.scope == "campaign":
        tasks = store.finished_in_campaign(link.campaign)
    else:
        found = {task.id: task for task in store.tasks_by_ids(link.task_ids)}
        tasks = [found[i] for i in link.task_ids if i in found]
    tasks = [task for task in tasks if task.status == TaskStatus.COMPLETED]
    hidden = store.hidden_among([task.id for task in tasks])
    return [task for task in tasks if task.id not in hidden]


def shared_task(store: Store, link: ReviewLink, task_id: str) -> Task | None:
    """One video of the link, or None when the link does not share it."""
    return next((task for task in shared_tasks(store, link) if task.id == task_id), None)


def guest_comment(
    store: Store, link: ReviewLink, task_id: str, name: str, text: str, now: datetime
) -> Posted:
    if not link.allow_comments:
        return Posted("This review link does not take comments.")
    if shared_task(store, link, task_id) is None:
        return Posted(NOT_VALID)
    try:
        guest = checked_text(GUEST_NAME, name)
        checked_text(COMMENT, text)
    except BadText as problem:
        return Posted(str(problem))
    shown = [task.id for task in shared_tasks(store, link)]
    if store.guest_comments_since(shown, now - GUEST_WINDOW) >= GUEST_COMMENTS:
        return Posted(TOO_MANY)
    return post_as(store, Reviewer(None, guest, guest=True), task_id, text, now)


def guest_decision(
    store: Store,
    link: ReviewLink,
    task_id: str,
    name: str,
    decision: str,
    reason: str,
    now: datetime,
) -> tuple[str, bool]:
    """A guest approves or asks for changes, when the link allows. -> (words, done)."""
    if not link.allow_approval:
        return "This review link does not let guests approve.", False
    if shared_task(store, link, task_id) is None:
        return NOT_VALID, False
    target = {"approve": ReviewState.APPROVED, "changes": ReviewState.CHANGES}.get(decision)
    if target is None:
        return "Choose Approve or Ask for changes.", False
    try:
        guest = checked_text(GUEST_NAME, name)
        why = checked_text(REASON, reason, required=target == ReviewState.CHANGES)
    except BadText as problem:
        return str(problem), False
    done = store.change_reviews([task_id], target, why, Reviewer(None, guest, guest=True), now)
    if done.changed:
        return (
            "Approved. Thank you!" if target == ReviewState.APPROVED else "Changes asked."
        ), True
    return next(iter(done.refused.values())), False


def revoke_link(store: Store, actor: Actor | None, link_id: int) -> str:
    """Withdraw a link: its maker or an admin."""
    link = store.get_review_link(link_id)
    if link is None:
        return "This review link no longer exists."
    mine = (
        actor is not None
        and actor.account_id is not None
        and (actor.account_id == link.created_by_id)
    )
    if actor is None or not (mine or actor.is_admin):
        why = "Only whoever made a review link, or an admin, can withdraw it."
        store.audit_refused(actor, "review_link.revoke", why, link.title)
        return why
    store.revoke_review_link(link.id, actor.account_id, actor.name, datetime.now(UTC))
    return "Review link withdrawn: it no longer opens."
