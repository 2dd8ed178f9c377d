"""Batches on History (issue 18): a batch's takes grouped ("12 takes of …") with how far
along they are, how many the content rules blocked and what those cost, what was
charged, the takes to compare, and "Cancel the batch" (what is still queued; rights
checked here, per take, as for a single cancel)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lib.domain.access import Actor
from lib.domain.money import quota_usd
from lib.domain.statuses import TERMINAL_STATUSES, TaskStatus
from lib.history import player
from lib.history.actions import Message, allowed, as_actor, can_cancel, cancel_task
from lib.history.compare import MAX_TAKES
from lib.history.queries import fresh_tasks
from lib.history.words import blocked, status_words
from lib.review.hiding import may_see
from lib.store.schema import Batch, Task
from lib.store.tasks import Store

if TYPE_CHECKING:
    from lib.engine.runtime import Studio

TITLE_SHOWN = 60  # characters of the first prompt in "12 takes of …"


@dataclass(frozen=True)
class BatchSummary:
    batch: Batch
    takes: list[Task]

    @property
    def title(self) -> str:
        """`12 takes of “A kite over a beach…”`."""
        text = self.batch.title.strip()
        if len(text) > TITLE_SHOWN:
            text = text[: TITLE_SHOWN - 1] + "…"
        count = self.batch.takes
        return f"{count} take{'s' if count != 1 else ''} of “{text}”" if text else f"{count} takes"

    @property
    def ended(self) -> int:
        return sum(take.status in TERMINAL_STATUSES for take in self.takes)

    def progress_words(self) -> str:
        """`5 ready · 3 being made · 4 waiting in line`: each state's count, in order."""
        counts = Counter(status_words(take) for take in self.takes)
        return " · ".join(f"{n} {words.lower()}" for words, n in counts.items())

    @property
    def changing(self) -> bool:
        """A take is still being sent, made or saved (the page keeps looking)."""
        return any(take.tracking for take in self.takes)

    @property
    def blocked(self) -> list[Task]:
        return [take for take in self.takes if blocked(take)]

    def blocked_words(self) -> str | None:
        """`2 blocked by the content rules (charged $0.0000)`, or None."""
        refused = self.blocked
        if not refused:
            return None
        cost = sum(take.cost_quota or 0 for take in refused)
        return (
            f"{len(refused)} blocked by the service's content rules "
            f"(charged {quota_usd(cost)} for them)"
        )

    @property
    def charged_quota(self) -> int:
        """What the service settled for the takes that ended (blocked ones included)."""
        return sum(take.cost_quota or 0 for take in self.takes if take.cost_quota is not None)

    def money_words(self) -> str:
        estimate = quota_usd(self.batch.estimate_quota)
        if self.ended == len(self.takes):
            return f"Estimate {estimate} · charged {quota_usd(self.charged_quota)}"
        return f"Estimate {estimate} · charged so far {quota_usd(self.charged_quota)}"

    def to_compare(self) -> list[str]:
        """The first finished takes one can play, as many as Compare shows."""
        return [take.id for take in self.takes if player.playable(take)][:MAX_TAKES]

    @property
    def still_queued(self) -> int:
        return sum(take.status in (TaskStatus.SUBMITTING, TaskStatus.QUEUED) for take in self.takes)


def summary(store: Store, batch_id: str, actor: Actor | None) -> BatchSummary | None:
    """The batch with its takes that this person may see (hidden ones: maker and admins)."""
    batch = store.get_batch(batch_id)
    if batch is None:
        return None
    ids = [take.id for take in store.batch_takes(batch_id)]
    takes = [t for t in fresh_tasks(store, ids) if may_see(store, actor, t.id)]
    return BatchSummary(batch, takes)


def batches_among(store: Store, tasks: Sequence[Task]) -> list[Batch]:
    """The batches the shown takes belong to, newest first, each once."""
    ids = list(dict.fromkeys(task.batch_id for task in tasks if task.batch_id))
    found = store.batches_of(ids)
    return sorted(found.values(), key=lambda b: b.created_at, reverse=True)


def cancel_batch(
    studio: Studio, batch_id: str, person: Actor | str | None, now: datetime | None = None
) -> Message:
    """Cancel what is still queued: the takes not sent yet (they never will be) and those
    waiting in line at the service. Only the batch's maker (or an admin) may."""
    store = studio.store
    batch = store.get_batch(batch_id)
    takes = store.batch_takes(batch_id) if batch else []
    if batch is None or not takes:
        return Message("This batch no longer exists.")
    actor = as_actor(person)
    refusal = allowed(studio, actor, takes[0], "batch.cancel")
    if refusal:
        return Message(refusal)
    unsent = store.cancel_unsent_takes(batch_id, now or datetime.now(UTC))
    cancelled = len(unsent)
    late = 0
    for take in store.batch_takes(batch_id):
        if can_cancel(take):
            said = cancel_task(studio, take.id, actor)
            cancelled += said.ok
            late += not said.ok
    being_sent = sum(take.status == TaskStatus.SUBMITTING for take in store.batch_takes(batch_id))
    parts = [
        f"Cancelled {cancelled} take{'s' if cancelled != 1 else ''} still waiting: "
        "nothing is charged for them."
        if cancelled
        else "No take of this batch was still waiting in line."
    ]
    if late:
        parts.append(f"{late} had started being made meanwhile: they are charged when done.")
    if being_sent:
        parts.append(
            f"{being_sent} {'were' if being_sent != 1 else 'was'} being sent at that moment: "
            "press Cancel the batch again once they are waiting in line."
        )
    return Message(" ".join(parts), ok=bool(cancelled))
