"""Restyle a take (issue 18): a finished video of at most 8.7 s, sent again with a new
instruction ("as watercolor") to the model that edits video, at its exact price. The new
video joins the original's family. What the service gets is the studio's own saved copy
(lib/engine/sources.py), never the service's expiring link.

Everything is checked here, whatever the page shows: the source (finished, saved, short
enough, its copy still there), the instruction, the model being offered; then
lib/engine/submissions.py checks the right to spend and the budgets as for every video,
with one idempotency key per press. A refusal names its field, and nothing is sent or
stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from lib.create.submit import submission_key
from lib.domain import restyle
from lib.domain.access import Actor, NotAllowed
from lib.domain.budgets import OverBudget
from lib.domain.money import quota_usd
from lib.domain.statuses import ArchiveState, TaskStatus
from lib.domain.text_fields import clean
from lib.domain.validation import InvalidSettings
from lib.engine.sources import SourceGone, source_url
from lib.engine.submissions import RestyleSource, submit_video
from lib.history.actions import Retry, as_actor, retry_checked, retry_key
from lib.review.hiding import may_see
from lib.store.schema import Task
from lib.wave import AuthError, InsufficientBalance, InvalidRequest, ModelNotFound, WaveError

if TYPE_CHECKING:
    from lib.engine.runtime import Studio

VIDEO = "video"  # the field a problem with the source video belongs to
INSTRUCTION = restyle.INSTRUCTION.param


@dataclass(frozen=True)
class Offer:
    """Whether this video can be restyled, and at what price (quota), before any press."""

    price_quota: int | None  # None: it can't be restyled
    problem: str | None = None  # why not, in words (None: it can, or it isn't finished yet)

    @property
    def price_words(self) -> str:
        return quota_usd(self.price_quota)


def offer(task: Task) -> Offer:
    """What the Restyle action shows for this video: its exact price, or why not. Only a
    finished, saved video has a length to price; one still being made shows nothing."""
    if task.status != TaskStatus.COMPLETED or task.archive_state != ArchiveState.ARCHIVED:
        return Offer(None)
    if not task.video_file:
        return Offer(None, "The studio's saved copy of this video is gone: it can't be restyled.")
    seconds = restyle.source_seconds(task.video_seconds)
    if seconds is None:
        return Offer(None, "The length of this video is not known, so it can't be restyled.")
    if restyle.too_long(seconds):
        return Offer(None, restyle.too_long_words(seconds))
    return Offer(restyle.price_quota(seconds))


def source_of(task: Task) -> RestyleSource:
    seconds = restyle.source_seconds(task.video_seconds) or Decimal(0)
    return RestyleSource(
        task_id=task.id,
        seconds=seconds,
        resolution=restyle.output_resolution(task.resolution),
        duration=task.duration,
        aspect_ratio=task.aspect_ratio,
    )


@dataclass
class Restyled:
    task: Task | None = None  # the new video, or None when nothing was sent
    message: str = ""
    problems: dict[str, str] = field(default_factory=dict)  # field -> message
    duplicate: bool = False  # this press repeated one a moment ago: the same video

    @property
    def ok(self) -> bool:
        return self.task is not None


def restyle_task(
    studio: Studio,
    task_id: str,
    person: Actor | str | None,
    instruction: str | None,
    key: str | None = None,
) -> Restyled:
    """Send one restyle of this video, once. -> the new video, or why nothing was sent.
    `key`: the idempotency key (by default, one per press: see below)."""
    actor = as_actor(person)
    task = studio.store.get_task(task_id)
    if task is None or not may_see(studio.store, actor, task_id):
        return _refused(VIDEO, "This video no longer exists.")
    chance = offer(task)
    if chance.price_quota is None:
        return _refused(VIDEO, chance.problem or "Only a finished, saved video can be restyled.")
    problem = restyle.instruction_problem(instruction)
    if problem:
        return _refused(INSTRUCTION, problem)
    if actor is None:
        return _refused("person", "Enter your name in the sidebar first, so the video is yours.")
    model = restyle.RESTYLE_MODEL
    availability = studio.offer.availability(model.model_id)
    if not availability.available:
        return Restyled(
            message=f"{model.display_name} restyles videos, and it can't be used right now: "
            f"{availability.reason}"
        )
    wording = clean(restyle.INSTRUCTION, instruction)
    # The same person pressing again with the same words (a double click, a reload, a
    # second tab) within seconds gets the same key: one video, charged once.
    key = key or submission_key(studio.store, {"restyle": task.id, "prompt": wording}, actor.name)
    try:
        body = restyle.restyle_request(wording, source_url(studio, task))
        outcome = submit_video(studio, body, actor, task.campaign, key, source=source_of(task))
    except SourceGone as gone:
        return _refused(VIDEO, f"This video can't be restyled: {gone}.")
    except (NotAllowed, OverBudget) as exc:
        return Restyled(message=f"Couldn't restyle: {exc}")
    except (InvalidSettings, InvalidRequest) as exc:
        param = getattr(exc, "param", None) or VIDEO
        name = INSTRUCTION if param == "prompt" else VIDEO
        return _refused(name, f"The video service can't restyle this video: {exc}")
    except ModelNotFound:
        studio.offer.mark_gone(model.model_id, "no longer offered")
        return Restyled(message=f"{model.display_name} is no longer offered by the service.")
    except InsufficientBalance:
        return Restyled(message="There isn't enough credit left on the account to restyle it.")
    except AuthError:
        return Restyled(
            message="The video service did not accept the studio's access key. "
            "Please tell your administrator."
        )
    except WaveError as exc:
        return Restyled(message=f"The video service could not take the restyle: {exc}")
    if not outcome.created:
        return Restyled(outcome.task, "Already restyled — see the newer video.", duplicate=True)
    studio.store.audit(
        "video.restyle",
        actor_id=actor.account_id,
        actor_name=actor.name,
        target=outcome.task.id,
        detail=f"restyle of {task.id}",
        now=datetime.now(UTC),
    )
    return Restyled(
        outcome.task, f"Restyling — {quota_usd(outcome.task.estimate_quota)}. See it in History."
    )


def retry_restyle(studio: Studio, task_id: str, person: Actor | str | None) -> Retry:
    """Try a failed restyle again: the original restyled again with the same words (a new
    link to its copy: the old one has expired), once per failed restyle. Its maker (or an
    admin) may, as for any retry."""
    checked = retry_checked(studio, task_id, person)
    if isinstance(checked, Retry):
        return checked
    task, actor = checked
    parent, _ = studio.store.family(task.id)
    if parent is None:
        return Retry(None, "The video this was restyled from is no longer known.")
    again = restyle_task(studio, parent.parent_id, actor, task.prompt, retry_key(task))
    if not again.ok:
        return Retry(None, again.message)
    if again.duplicate:
        return Retry(again.task, "You already tried this one again — look for the newer video.")
    return Retry(again.task, f"Trying again — {quota_usd(again.task.estimate_quota)}")


def _refused(name: str, message: str) -> Restyled:
    return Restyled(message=message, problems={name: message})
