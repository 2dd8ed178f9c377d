"""Sending the Create form exactly once: one idempotency key per click (the same key for a
double click, a rerun, a reload or a second tab), checked first, and the outcome in words."""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lib.create import keys
from lib.create.draft import NAME_NEEDED, Draft, draft_from
from lib.create.pictures import settle_links
from lib.domain.access import Actor, NotAllowed
from lib.domain.budgets import OverBudget
from lib.domain.catalog import display_name
from lib.engine import submissions
from lib.engine.pictures import keep_link
from lib.store.tasks import Store
from lib.wave import AuthError, InsufficientBalance, InvalidRequest, ModelNotFound, WaveError

# A second click with the same settings this soon is the same submission (double click).
SAME_SUBMISSION_SECONDS = 10.0


def submission_key(store: Store, request: dict[str, Any], person: str | None) -> str:
    """The idempotency key for this click. The same person sending the same settings
    again within a few seconds (a double click, a rerun, a reload, a second tab) gets the
    same key, so they make one task. Kept in the store, not in the session nor the
    process: a reload is a new session, and a second tab may reach another server."""
    sent = json.dumps([person or "", request], sort_keys=True)
    digest = hashlib.sha256(sent.encode()).hexdigest()
    window = timedelta(seconds=SAME_SUBMISSION_SECONDS)
    return store.submission_key(digest, datetime.now(UTC), window)


@dataclass
class SubmitResult:
    task_id: str | None = None
    problems: dict[str, str] = field(default_factory=dict)  # field -> message
    notice: str | None = None  # a sentence for the whole form (money, access, network)
    duplicate: bool = False  # this click repeated one a moment ago: same task
    pending: bool = False  # no answer yet; the studio keeps trying with the same key
    refused: bool = False  # the problems are the service's, not the form's rules


def submit_draft(studio: Any, draft: Draft, who: Actor | str | None, key: str) -> SubmitResult:
    """Check, then send exactly once. Nothing is sent while any field has a problem.
    `who`: the signed-in Actor (a plain name: a member of that name). Rights and budgets
    are checked by lib/engine/submissions.py, at the moment the task is recorded."""
    person = who.name if isinstance(who, Actor) else who
    for link in draft.links:  # not fetched in the background yet: fetched now
        if link not in draft.linked:
            draft.linked[link] = keep_link(studio, link, person or "")
    problems = draft.problems()
    if not person:
        problems["person"] = NAME_NEEDED
    gone = not_offered(studio, draft)
    if gone:
        problems["model"] = gone
    if problems:
        return SubmitResult(problems=problems)
    kit_gone = kit_problem(studio, draft)
    if kit_gone:  # the page reads the kit again on its next run
        return SubmitResult(notice=kit_gone)
    try:
        outcome = submissions.submit_video(
            studio,
            draft.request(),
            who,
            draft.campaign,
            key,
            draft.all_images(),
            kit=(draft.kit.id, draft.kit.name) if draft.kit else None,
            recipe_id=draft.recipe,
        )
    except ModelNotFound:  # retired since the list was read (now marked: lib/engine/offer)
        return SubmitResult(problems={"model": not_offered(studio, draft) or ""}, refused=True)
    except (NotAllowed, OverBudget) as exc:  # a viewer, or a cap this video would cross
        return SubmitResult(notice=str(exc))
    except InvalidRequest as exc:  # the service refused a field
        return SubmitResult(problems={exc.param or "form": str(exc)}, refused=True)
    except InsufficientBalance as exc:
        return SubmitResult(
            notice=f"There is not enough credit on the account for this video. {exc}"
        )
    except AuthError:
        return SubmitResult(
            notice="The video service did not accept the studio's access key. "
            "Please tell your administrator."
        )
    except WaveError as exc:
        return SubmitResult(notice=f"The video service could not take the request: {exc}")
    return SubmitResult(
        task_id=outcome.task.id, duplicate=not outcome.created, pending=outcome.pending
    )


def not_offered(studio: Any, draft: Draft) -> str | None:
    """Why the chosen model can't be used now, and which to use instead; None if it can."""
    availability = studio.offer.availability(draft.model)
    if availability.available:
        return None
    instead = studio.offer.instead_of(draft.model, draft.mode == "image")
    advice = (
        f" Use {instead.display_name} instead: choose it above (your settings stay)."
        if instead
        else " No other model is offered right now; try again later."
    )
    return f"{display_name(draft.model)} can't be used: {availability.reason}{advice}"


def kit_problem(studio: Any, draft: Draft) -> str | None:
    """The kit as the store has it now must be the one the draft carries: a kit deleted
    or changed since the page was drawn is not used without the person seeing it."""
    if draft.kit is None:
        return None
    now = studio.store.get_kit(draft.kit.id)
    if now is None:
        return f"The brand kit “{draft.kit.name}” was deleted: pick another kit, or none."
    if now != draft.kit:
        return f"An admin just changed the brand kit “{now.name}”: check the form and send again."
    return None


def send(studio: Any, state: MutableMapping[str, Any], who: Actor | str | None) -> SubmitResult:
    """The Generate button: the form read again (a field typed just before the click
    arrives with the click), links still being fetched waited for, sent once, and what
    happened kept for the page."""
    person = who.name if isinstance(who, Actor) else who
    settle_links(studio, state, who)  # an account keeps the pictures it brings
    latest = draft_from(state)
    result = submit_draft(
        studio, latest, who, submission_key(studio.store, latest.request(), person)
    )
    state[keys.TRIED] = True
    state[keys.REFUSED] = result.problems if result.refused else {}
    state[keys.RESULT] = result
    return result
