"""Sending a video request: validated, recorded first, sent once with an idempotency key.

The task is stored before anything is sent, so that a crash or a lost reply can never lose
it: the tracker re-sends it later with the same key, and the service answers with the
task that key already made (no second charge). A definite refusal (bad field, no money,
bad key) removes the unsent task again and is shown to the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lib.domain.access import Actor, NotAllowed, SignIn, check_can_spend
from lib.domain.budgets import OverBudget
from lib.domain.money import request_price_quota
from lib.domain.restyle import KIND as RESTYLE_KIND
from lib.domain.restyle import MODE as RESTYLE_MODE
from lib.domain.restyle import price_quota as restyle_price_quota
from lib.domain.retry import FIRST_RESUBMIT_SECONDS
from lib.domain.text_fields import CAMPAIGN, PERSON, clean, fit, length_problem
from lib.domain.validation import InvalidSettings, Problem, is_edit, validate_request
from lib.engine.pictures import keep_images
from lib.engine.sending import send_submit
from lib.store.budgets import BudgetCheck
from lib.store.schema import Task
from lib.store.task_rows import MadeFrom, NewTask
from lib.wave import (
    AuthError,
    InsufficientBalance,
    InvalidRequest,
    ModelNotFound,
    WaveError,
)

if TYPE_CHECKING:
    from lib.engine.runtime import Studio


NO_SIGN_IN = (
    "Nobody can make videos yet: the person who runs the studio must first set up how "
    "people sign in."
)


@dataclass(frozen=True)
class RestyleSource:
    """The saved video a restyle is made from (issue 18): its length prices the restyle,
    and the new video keeps its length and resolution and joins its family."""

    task_id: str
    seconds: Decimal  # the saved copy's, to the millisecond (lib/domain/restyle.py)
    resolution: str
    duration: int
    aspect_ratio: str | None


@dataclass(frozen=True)
class SubmitOutcome:
    task: Task
    created: bool  # False: this key had already made the task (double click, rerun)
    pending: bool = False  # True: no reply yet; the studio keeps trying with the same key


def submit_video(
    studio: Studio,
    body: dict[str, Any],
    person: Actor | str | None,
    campaign: str,
    idempotency_key: str,
    images: list[tuple[str, str | None]] | None = None,
    *,
    kit: tuple[str, str] | None = None,
    recipe_id: str | None = None,
    source: RestyleSource | None = None,
    family: tuple[str, str] | None = None,
) -> SubmitOutcome:
    """Make one task from a request. Raises lib.domain.validation.InvalidSettings for bad fields
    (nothing stored, nothing sent), lib.domain.access.NotAllowed for nobody or a viewer,
    lib.domain.budgets.OverBudget for a video that would cross a monthly cap (checked in
    the transaction that records it), and lib.wave errors for a refusal by the service.
    Refusals of a right or a budget are written to the audit log.

    `person`: the Actor the page resolved from the sign-in; a plain name (tests,
    benchmarks, tools) is a member of that name.

    The service only ever gets the studio's own copies of pictures: one that is not kept
    yet (an older video's outside link, tried again) is fetched and kept first.

    `kit` (id, name) and `recipe_id` (issue 18) are recorded on the task as they are now,
    so that a kit renamed or deleted later does not rewrite what this video used.

    `source`: for a restyle (`action: edit`), the saved video it is made from.
    `family` (parent video id, kind): a family link recorded with the task (a retry's)."""
    actor = spender(studio, person)
    person = actor.name
    request = validate_request(body)
    if is_edit(request) and source is None:  # only the studio's own saved videos
        raise InvalidSettings([Problem("video_urls", "Choose a saved video to restyle.")])
    existing = studio.store.task_by_key(idempotency_key)
    if existing is not None:  # this click was sent already: nothing is fetched or sent again
        return SubmitOutcome(existing, created=False)
    campaign = checked_campaign(campaign)
    pictures: list[tuple[str, str | None]] = []
    if request.get("image_urls"):
        given = images or [(url, None) for url in request["image_urls"]]
        kept, problems = keep_images(studio, given, actor)
        if problems:
            raise InvalidSettings([Problem("image_urls", m) for m in problems.values()])
        request["image_urls"] = [url for url, _ in kept]
        pictures = list(kept)
    now = datetime.now(UTC)
    new = NewTask(
        idempotency_key=idempotency_key,
        request=request,
        person=fit(PERSON, person),
        campaign=campaign,
        estimate_quota=(
            restyle_price_quota(source.seconds) if source else request_price_quota(request)
        ),
        images=pictures,
        account_id=actor.account_id,
        kit=kit,
        recipe_id=recipe_id,
        made_from=_made_from(source),
        family=family,
    )
    check = BudgetCheck(actor.name, tuple(studio.store.admin_names()))
    try:
        # Stored with this server's sending lease: if it dies before the reply, another
        # server re-sends it (same key) as soon as the lease runs out.
        task, created = studio.store.create_task(
            new, now, budget=check, lease=studio.tracker.sending_lease()
        )
    except OverBudget as refusal:
        _refused(studio, actor, "budget.refused", str(refusal), refusal.cap.scope)
        raise
    if not created:
        return SubmitOutcome(task, created=False)
    studio.tracker.sending_started(task.id)
    try:
        return _send(studio, task)
    finally:
        studio.tracker.sending_done(task.id)


def _made_from(source: RestyleSource | None) -> MadeFrom | None:
    if source is None:
        return None
    return MadeFrom(
        source.task_id,
        RESTYLE_KIND,
        RESTYLE_MODE,
        source.resolution,
        source.duration,
        source.aspect_ratio,
    )


def checked_campaign(campaign: str) -> str:
    """The campaign as it is stored (cleaned); InvalidSettings naming it when too long."""
    campaign = clean(CAMPAIGN, campaign)
    too_long = length_problem(CAMPAIGN, campaign)
    if too_long:
        raise InvalidSettings([Problem(CAMPAIGN.param, too_long)])
    return campaign


def spender(studio: Studio, person: Actor | str | None, action: str = "video.create") -> Actor:
    """The person, if they may spend: raises NotAllowed (and logs it) for nobody, a
    viewer, or a studio with a real key and no sign-in set up."""
    actor = Actor.member(person) if isinstance(person, str) and person else person
    try:
        if studio.config.sign_in == SignIn.NONE:  # a real key and no sign-in set up
            raise NotAllowed(NO_SIGN_IN, action)
        return check_can_spend(actor if isinstance(actor, Actor) else None, action)
    except NotAllowed as refusal:
        _refused(studio, actor if isinstance(actor, Actor) else None, refusal.action, str(refusal))
        raise


def _send(studio: Studio, task: Task) -> SubmitOutcome:
    try:
        state = send_submit(studio.client, task, studio.callback_url())
    except (InvalidRequest, InsufficientBalance, AuthError) as exc:
        studio.store.discard_unsent(task.id)
        if isinstance(exc, ModelNotFound):  # retired since the list was read: off at once
            studio.offer.mark_gone(task.model, str(exc))
        raise
    except WaveError as exc:
        # No answer we can trust: the service may or may not have the task. The tracker
        # asks again with the same key shortly, which is safe either way.
        retry = datetime.now(UTC) + timedelta(seconds=FIRST_RESUBMIT_SECONDS)
        studio.store.mark_submit_pending(task.id, f"Still sending: {exc}", retry)
        studio.tracker.poke()
        return SubmitOutcome(studio.store.get_task(task.id) or task, created=True, pending=True)
    finally:
        studio.store.count_api_calls(task.id)
    studio.tracker.record_submitted(task, state)
    return SubmitOutcome(studio.store.get_task(task.id) or task, created=True)


def _refused(studio: Studio, actor: Actor | None, action: str, why: str, target: str = "") -> None:
    """An attempt refused by a right or a budget, in the audit log."""
    studio.store.audit_refused(actor, action, why, target)
