"""The Variations part of Create as a person meets it: the grid of takes with their prices,
the total and what each budget would have left, and one press that stores the whole batch
(lib/engine/batches.py) and answers at once. Nothing is sent while a take can't be made or
the total is over a cap."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.create import keys
from lib.create.draft import NAME_NEEDED, draft_from
from lib.create.pictures import settle_links
from lib.create.submit import kit_problem, not_offered, submission_key
from lib.create.variations import Plan, plan, variations_from
from lib.domain.access import Actor, NotAllowed
from lib.domain.budgets import Cap, OverBudget, whole_usd
from lib.domain.catalog import MODELS, display_name
from lib.domain.money import quota_usd
from lib.domain.validation import InvalidSettings
from lib.engine import batches
from lib.engine.pictures import keep_link
from lib.store.budgets import caps_in
from lib.store.tasks import Store

# What the Variations lists offer: every model's shapes and lengths (a take its model
# can't make is named, with why, under the grid).
ALL_RATIOS = list(
    dict.fromkeys(r for spec in MODELS.values() for r in spec.field_spec("aspect_ratio").choices)
)
ALL_SECONDS = list(
    range(
        min(spec.min_duration for spec in MODELS.values()),
        max(spec.max_duration for spec in MODELS.values()) + 1,
    )
)


@dataclass(frozen=True)
class BudgetLeft:
    """One budget the batch counts against: what it has left now and after the batch."""

    label: str  # "Your budget"
    left_quota: int
    after_quota: int  # negative: the batch would go over it

    @property
    def over(self) -> bool:
        return self.after_quota < 0

    def words(self) -> str:
        if self.over:
            return (
                f"{self.label}: {whole_usd(self.left_quota)} left — the batch is "
                f"{whole_usd(-self.after_quota)} over"
            )
        return (
            f"{self.label}: {whole_usd(self.left_quota)} left, "
            f"{whole_usd(self.after_quota)} after this batch"
        )


def budgets_left(
    store: Store, actor: Actor | None, campaign: str, total_quota: int, now: datetime | None = None
) -> list[BudgetLeft]:
    """Every cap this batch counts against (the month's running totals), tightest first."""
    with store.session() as session:
        caps = caps_in(session, actor.account_id if actor else None, campaign or "", now or _now())
    return [
        BudgetLeft(_label(cap), cap.left_quota, cap.cap_quota - cap.spent_quota - total_quota)
        for cap in sorted(caps, key=lambda c: c.left_quota)
    ]


def _label(cap: Cap) -> str:
    return f"{cap.label[0].upper()}{cap.label[1:]} budget"


def grid_rows(batch_plan: Plan) -> list[dict[str, Any]]:
    """One row per take, for the grid: what it is, its price, and what is wrong with it."""
    return [
        {
            "Take": take.number,
            "Prompt": take.draft.prompt,
            "Model": display_name(take.draft.model),
            "Shape": take.draft.aspect_ratio,
            "Length": f"{take.draft.duration} s",
            "Price": quota_usd(take.quota) if take.quota is not None else "—",
            "Problem": next(iter(take.problems.values()), ""),
        }
        for take in batch_plan.takes
    ]


def total_words(batch_plan: Plan) -> str:
    """`12 takes · $0.5351 together`."""
    count = len(batch_plan.takes)
    return f"{count} take{'s' if count != 1 else ''} · {quota_usd(batch_plan.total_quota)} together"


def button_label(batch_plan: Plan) -> str:
    count = len(batch_plan.takes)
    if not count:
        return "Make the takes"
    return f"Make {count} take{'s' if count != 1 else ''} · {quota_usd(batch_plan.total_quota)}"


@dataclass
class BatchResult:
    batch_id: str | None = None
    takes: int = 0
    problems: dict[str, str] = field(default_factory=dict)  # field -> message
    notice: str | None = None  # a sentence for the whole form (money, access)
    duplicate: bool = False  # this press repeated one a moment ago: the same batch


def send(studio: Any, state: MutableMapping[str, Any], who: Actor | str | None) -> BatchResult:
    """The "Make N takes" button: the form read again, checked take by take, and the whole
    batch stored (nothing sent from here: the tracker sends it). Kept for the page."""
    result = _send(studio, state, who)
    state[keys.TRIED] = True
    state[keys.BATCH_RESULT] = result
    return result


def _send(studio: Any, state: MutableMapping[str, Any], who: Actor | str | None) -> BatchResult:
    person = who.name if isinstance(who, Actor) else who
    settle_links(studio, state, who)
    base = draft_from(state)
    for link in base.links:  # not fetched in the background yet: fetched now
        if link not in base.linked:
            base.linked[link] = keep_link(studio, link, person or "")
    variations = variations_from(state)
    if variations is None:
        return BatchResult(notice="Switch on “Make variations” to make several takes at once.")
    batch_plan = plan(base, variations)
    problems = dict(batch_plan.problems)
    if not person:
        problems["person"] = NAME_NEEDED
    for model in dict.fromkeys(take.draft.model for take in batch_plan.takes):
        take = next(t for t in batch_plan.takes if t.draft.model == model)
        gone = not_offered(studio, take.draft)
        if gone:
            problems.setdefault("model", gone)
    if problems:
        return BatchResult(problems=problems)
    kit_gone = kit_problem(studio, base)
    if kit_gone:  # the page reads the kit again on its next run
        return BatchResult(notice=kit_gone)
    bodies = [take.draft.request() for take in batch_plan.takes]
    key = submission_key(studio.store, {"batch": bodies}, person)
    title = (base.prompt.strip().splitlines() or [""])[0]
    try:
        outcome = batches.submit_batch(
            studio,
            bodies,
            who,
            base.campaign,
            key,
            base.all_images(),
            title,
            kit=(base.kit.id, base.kit.name) if base.kit else None,
            recipe_id=base.recipe,
        )
    except (NotAllowed, OverBudget) as exc:
        return BatchResult(notice=str(exc))
    except InvalidSettings as exc:
        return BatchResult(problems={exc.param: str(exc)})
    return BatchResult(
        batch_id=outcome.batch.id, takes=outcome.batch.takes, duplicate=not outcome.created
    )


def messages(
    state: MutableMapping[str, Any], batch_plan: Plan, person: str | None
) -> dict[str, str]:
    """The messages to show at the fields: every problem of the takes as they are set now
    (they follow the settings at once), what the last press was refused for that only
    the server knows (a model no longer offered, a picture), and the name once pressed."""
    last = state.get(keys.BATCH_RESULT)
    shown = {k: v for k, v in (last.problems if last else {}).items() if k in SERVER_ONLY}
    shown.update(batch_plan.problems)
    if not person and state.get(keys.TRIED):
        shown["person"] = NAME_NEEDED
    return shown


SERVER_ONLY = ("model", "image_urls", "form")


def plan_of(state: MutableMapping[str, Any]) -> Plan | None:
    """The takes the form would make now, or None with variations off."""
    variations = variations_from(state)
    return None if variations is None else plan(draft_from(state), variations)


def _now() -> datetime:
    return datetime.now(UTC)
