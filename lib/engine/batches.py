"""Sending a batch (issue 18): every take stored at once, after one check of rights and of
the budgets for the batch's total (all or none: lib/store/batches.py), each with its own
idempotency key derived from the press's. Nothing is sent here: the tracker sends each
take as it sends any unanswered submit (lib/engine/tracker.py, `send_submit`), a few at
a time (its workers), keeping to the service's `Retry-After`, with the take's key, so a
lost reply or a second press can never charge twice. The page answers at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lib.domain.access import Actor
from lib.domain.money import request_price_quota
from lib.domain.text_fields import PERSON, fit
from lib.domain.validation import InvalidSettings, Problem, validate_request
from lib.domain.variations import BatchOverBudget
from lib.engine.pictures import keep_images
from lib.engine.submissions import checked_campaign, spender
from lib.store.batches import NewBatch
from lib.store.budgets import BudgetCheck
from lib.store.schema import Batch
from lib.store.tasks import NewTask

if TYPE_CHECKING:
    from lib.engine.runtime import Studio

TITLE_CHARACTERS = 200  # of the first prompt, for "12 takes of …"


@dataclass(frozen=True)
class BatchOutcome:
    batch: Batch
    created: bool  # False: this press had already made the batch (double click, reload)


def take_key(batch_key: str, index: int) -> str:
    """A take's idempotency key: the press's, and its place in the batch (the same press
    gives every take the same key again)."""
    return f"{batch_key}-t{index:03d}"


def submit_batch(
    studio: Studio,
    bodies: list[dict[str, Any]],
    person: Actor | str | None,
    campaign: str,
    key: str,
    images: list[tuple[str, str | None]] | None = None,
    title: str = "",
    *,
    kit: tuple[str, str] | None = None,
    recipe_id: str | None = None,
) -> BatchOutcome:
    """Store every take of a batch, due to be sent at once. Raises NotAllowed (nobody, a
    viewer), InvalidSettings (a take's field, named with its number: nothing stored),
    BatchOverBudget (the total crosses a cap: nothing stored). Every take records the
    brand kit (id, name then) and the recipe it was made with, as a single video does."""
    actor = spender(studio, person, "batch.create")
    found = studio.store.batch_by_key(key)
    if found is not None:  # this press was stored already: nothing is fetched or sent again
        return BatchOutcome(found, created=False)
    requests = []
    for number, body in enumerate(bodies, start=1):
        try:
            requests.append(validate_request(body))
        except InvalidSettings as bad:
            raise InvalidSettings(
                [Problem(p.param, f"Take {number}: {p.message}") for p in bad.problems]
            ) from None
    campaign = checked_campaign(campaign)
    pictures: list[tuple[str, str | None]] = []
    if any(request.get("image_urls") for request in requests):
        given = images or [(url, None) for url in requests[0]["image_urls"]]
        kept, problems = keep_images(studio, given, actor)  # once for every take
        if problems:
            raise InvalidSettings([Problem("image_urls", m) for m in problems.values()])
        pictures = list(kept)
        for request in requests:
            if request.get("image_urls"):
                request["image_urls"] = [url for url, _ in kept]
    name = fit(PERSON, actor.name)
    takes = [
        NewTask(
            idempotency_key=take_key(key, index),
            request=request,
            person=name,
            campaign=campaign,
            estimate_quota=request_price_quota(request),
            images=pictures if request.get("image_urls") else (),
            account_id=actor.account_id,
            kit=kit,
            recipe_id=recipe_id,
        )
        for index, request in enumerate(requests)
    ]
    new = NewBatch(
        idempotency_key=key,
        title=(title or requests[0].get("prompt", ""))[:TITLE_CHARACTERS],
        person=name,
        campaign=campaign,
        takes=takes,
        account_id=actor.account_id,
    )
    check = BudgetCheck(actor.name, tuple(studio.store.admin_names()))
    try:
        batch, created = studio.store.create_batch(new, datetime.now(UTC), budget=check)
    except BatchOverBudget as refusal:
        studio.store.audit_refused(actor, "budget.refused", str(refusal), refusal.cap.scope)
        raise
    if created:
        studio.tracker.poke()  # due now: the tracker's workers send them
    return BatchOutcome(batch, created)
