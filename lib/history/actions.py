"""What a person can do from a History card: cancel a video still waiting in line, try a
failed one again, or take its settings back to Create."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from lib.create import form
from lib.domain.access import Actor, NotAllowed, check_acts_on
from lib.domain.budgets import OverBudget
from lib.domain.catalog import display_name
from lib.domain.statuses import TaskStatus
from lib.domain.validation import InvalidSettings
from lib.engine.submissions import submit_video
from lib.store.schema import Task
from lib.wave import (
    InsufficientBalance,
    TaskNotCancellable,
    TaskNotFound,
    WaveError,
    parse_task,
)

if TYPE_CHECKING:
    from lib.engine.runtime import Studio
from lib.domain.money import quota_usd as usd
from lib.history.words import status_words

RETRY_KIND = "retry"  # the family link of a video tried again (task_parents.kind)


def can_cancel(task: Task) -> bool:
    return task.status == TaskStatus.QUEUED and bool(task.wave_task_id)


def can_retry(task: Task) -> bool:
    return task.status == TaskStatus.FAILED


class Message(str):
    """Words for the person, that also say whether the action did what was asked."""

    ok: bool

    def __new__(cls, text: str, ok: bool = False) -> Message:
        message = super().__new__(cls, text)
        message.ok = ok
        return message


def as_actor(person: Actor | str | None) -> Actor | None:
    """The page passes the signed-in Actor; a plain name (tests, tools) is a member."""
    if isinstance(person, str):
        return Actor.member(person) if person else None
    return person


def may_act(actor: Actor | None, task: Task) -> bool:
    """Whether this person may cancel or retry this video (for showing the buttons)."""
    try:
        check_acts_on(actor, task.account_id, task.person, "video.any")
    except NotAllowed:
        return False
    return True


def allowed(studio: Studio, actor: Actor | None, task: Task, action: str) -> str | None:
    """None when this person may act on this video; else why not (and it is logged)."""
    try:
        check_acts_on(actor, task.account_id, task.person, action)
    except NotAllowed as refusal:
        studio.store.audit_refused(actor, action, str(refusal), task.id)
        return str(refusal)
    return None


def cancel_task(
    studio: Studio, task_id: str, person: Actor | str | None, now: datetime | None = None
) -> Message:
    """Cancel a video that is still waiting in line, and record the refund. -> words.
    Only its owner (or an admin) may: checked here, whatever the page shows."""
    store = studio.store
    task = store.get_task(task_id)
    if task is None:
        return Message("This video no longer exists.")
    actor = as_actor(person)
    refusal = allowed(studio, actor, task, "video.cancel")
    if refusal:
        return Message(refusal)
    if not can_cancel(task):
        state = status_words(task).lower()
        return Message(f"Only a video waiting in line can be cancelled; this one is {state}.")
    try:
        studio.client.cancel(task.wave_task_id)  # type: ignore[arg-type]  # checked above
    except TaskNotCancellable:
        _look_again(studio, task.id)
        return Message(
            "Too late to cancel: this video is no longer waiting in line — the video service "
            "has already started making it, and it is charged when it is done."
        )
    except TaskNotFound:
        _look_again(studio, task.id)
        return Message("The video service no longer knows this video: nothing to cancel.")
    except WaveError as exc:
        return Message(f"Couldn't cancel right now: {exc} Try again in a moment.")
    finally:
        store.count_api_calls(task.id)
    when = now or datetime.now(UTC)
    cancelled = parse_task(
        {"task_id": task.wave_task_id, "status": TaskStatus.CANCELLED, "cost": 0}
    )
    settled = store.apply_state(task.id, cancelled, "service", when, when)
    refunded = settled.refunded_quota if settled and settled.refunded_quota else 0
    store.audit(
        "video.cancel",
        actor_id=actor.account_id if actor else None,
        actor_name=actor.name if actor else "",
        target=task.id,
        detail=f"refunded {refunded} quota",
        now=when,
    )
    return Message(f"Cancelled — {usd(refunded)} refunded", ok=True)


def _look_again(studio: Studio, task_id: str) -> None:
    """The service knows better than the store: have the tracker ask it now."""
    studio.store.reschedule(task_id, datetime.now(UTC))
    studio.tracker.poke()


class Retry(NamedTuple):
    task: Task | None  # the new video, or None when nothing was sent
    message: str


def retry_key(task: Task) -> str:
    """One retry per failed video: a second click finds the first retry again."""
    return f"retry-{task.id}"


def retry_checked(
    studio: Studio, task_id: str, person: Actor | str | None
) -> tuple[Task, Actor] | Retry:
    """A failed video that this person (its maker, or an admin) may try again, or the
    Retry that says why not (logged when it is a right refused)."""
    task = studio.store.get_task(task_id)
    if task is None:
        return Retry(None, "This video no longer exists.")
    if not can_retry(task):
        return Retry(None, "Only a failed video can be tried again.")
    actor = as_actor(person)
    if actor is None:
        return Retry(None, "Enter your name in the sidebar first, so the new video is yours.")
    refusal = allowed(studio, actor, task, "video.retry")
    if refusal:
        return Retry(None, refusal)
    return task, actor


def retry_task(studio: Studio, task_id: str, person: Actor | str | None) -> Retry:
    """Send a failed video's request again, with its pictures, as a new video. Only its
    owner (or an admin) may, within the budgets."""
    checked = retry_checked(studio, task_id, person)
    if isinstance(checked, Retry):
        return checked
    task, actor = checked
    gone = not_offered(studio, task)
    if gone:
        return Retry(None, gone)
    images = [(image.url, image.asset_sha256) for image in task.images]
    try:
        outcome = submit_video(
            studio,
            dict(task.request),
            actor,
            task.campaign,
            retry_key(task),
            images,
            family=(task.id, RETRY_KIND),  # its family (issue 17), recorded with it
        )
    except (NotAllowed, OverBudget) as exc:
        return Retry(None, f"Couldn't try again: {exc}")
    except InvalidSettings as exc:
        if exc.param == "image_urls":  # an older video's outside link that can't be fetched
            return Retry(
                None,
                f"Couldn't try again: {exc} Press “Use these settings” to replace that picture.",
            )
        return Retry(None, f"These settings can't be sent any more: {exc}")
    except InsufficientBalance:
        return Retry(None, "There isn't enough credit left on the account to try again.")
    except WaveError as exc:
        return Retry(None, f"Couldn't start it again: {exc}")
    if not outcome.created:
        return Retry(outcome.task, "You already tried this one again — look for the newer video.")
    studio.store.audit(
        "video.retry",
        actor_id=actor.account_id,
        actor_name=actor.name,
        target=outcome.task.id,
        detail=f"again of {task.id}",
        now=datetime.now(UTC),
    )
    return Retry(outcome.task, f"Trying again — estimate {usd(outcome.task.estimate_quota)}")


def not_offered(studio: Studio, task: Task) -> str | None:
    """Why this video's model can't make it again, and what to do; None if it can."""
    if studio.offer.availability(task.model).available:
        return None
    instead = studio.offer.instead_of(task.model, task.mode == "image")
    advice = (
        f" Press “Use these settings” to make it with {instead.display_name}, the closest."
        if instead
        else " No other model is offered right now."
    )
    return f"{display_name(task.model)} is no longer offered by the video service.{advice}"


def use_settings(state: MutableMapping[str, Any], task: Task, studio: Studio | None = None) -> None:
    """Fill the Create form with this video's settings (then switch to Create). A model
    the service no longer offers is replaced by the closest one, and the form says so."""
    images = [(image.url, image.asset_sha256) for image in task.images]
    form.prefill(state, task.request, task.campaign, images)
    if studio is None or studio.offer.availability(task.model).available:
        return
    instead = studio.offer.instead_of(task.model, task.mode == "image")
    if instead is not None:
        why = (
            f"This video was made with {display_name(task.model)}, which the video service "
            f"no longer offers: the form uses {instead.display_name}, the closest."
        )
        form.prefill_instead(state, task.request, instead, why)
