"""Reading the store: one task, by key, all of them, money spent since a date, the
campaigns and people so far, pictures kept; and which tasks are still in flight."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from lib.domain import statuses
from lib.domain.budgets import Cap
from lib.store.budgets import caps_in
from lib.store.memo import Memo
from lib.store.month_spend import month_of
from lib.store.schema import Asset, Task


class Reads:
    """Store methods (lib.store.tasks.Store) that only read."""

    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]
    memo: Memo

    def get_task(self, task_id: str) -> Task | None:
        with self.session() as session:
            return session.scalar(
                select(Task)
                .where(Task.id == task_id)
                .options(selectinload(Task.images), selectinload(Task.events))
            )

    def task_by_key(self, idempotency_key: str) -> Task | None:
        with self.session() as session:
            return session.scalar(select(Task).where(Task.idempotency_key == idempotency_key))

    def tasks(self) -> list[Task]:
        with self.session() as session:
            return list(session.scalars(select(Task).order_by(Task.created_at.desc())))

    def spent_quota_since(self, start: datetime) -> int:
        """Money settled, or still held by unfinished tasks, since `start` (in quota);
        kept until this process writes (memo.py: every page's sidebar asks)."""
        return self.memo.get(("spent since", start), lambda: self._spent_quota_since(start))

    def _spent_quota_since(self, start: datetime) -> int:
        spent = func.coalesce(Task.cost_quota, Task.pre_consumed_quota, Task.estimate_quota)
        with self.session() as session:
            total = session.scalar(
                select(func.sum(spent)).where(
                    Task.created_at >= start, Task.wave_task_id.is_not(None)
                )
            )
        return int(total or 0)

    def campaigns(self) -> list[str]:
        """Every campaign used so far, A to Z ("" when some videos have none)."""
        return list(self.memo.get("campaigns", lambda: tuple(self._distinct("campaign"))))

    def people(self) -> list[str]:
        """Everyone who has made a video, A to Z."""
        return list(self.memo.get("people", lambda: tuple(self._distinct("person"))))

    def caps_for(self, account_id: str | None, campaign: str, now: datetime) -> list[Cap]:
        """The caps that apply to a video of this person and campaign this month, with
        what each has spent (lib/store/budgets.py), kept until this process writes: what
        the Create page says under its button at every rerun. A submit's check never
        reads from here (it reads inside its own transaction)."""

        def read() -> tuple[Cap, ...]:
            with self.session() as session:
                return tuple(caps_in(session, account_id, campaign, now))

        return list(self.memo.get(("caps", account_id, campaign, month_of(now)), read))

    def _distinct(self, column: str) -> list[str]:
        """The column's values, A to Z, one index probe per value (a "skip scan"): a
        DISTINCT read all 100,000 index entries on PostgreSQL (a quarter of a second for
        History's two filter boxes under load) for a dozen names."""
        with self.session() as session:
            return list(session.scalars(text(_SKIP_SCAN.format(column=column))))

    def get_asset(self, sha256: str) -> Asset | None:
        with self.session() as session:
            return session.get(Asset, sha256)


# Each step asks the index for the next value after the last one (a column with an index
# of its own: ix_tasks_campaign, ix_tasks_person).
_SKIP_SCAN = (
    "WITH RECURSIVE found(value) AS ("
    " SELECT min({column}) FROM tasks"
    " UNION ALL"
    " SELECT (SELECT min({column}) FROM tasks WHERE {column} > found.value)"
    " FROM found WHERE found.value IS NOT NULL"
    ") SELECT value FROM found WHERE value IS NOT NULL"
)


def shown_states_in_store(store: Reads, task_ids: Sequence[str]) -> dict[str, str]:
    """The shown state (lib.domain.statuses.shown_state) of each of these tasks that
    exists, straight from the store: one query on primary keys, no objects built (what
    every open History page's held request compares, one look for all of them)."""
    if not task_ids:
        return {}
    query = select(Task.id, Task.status, Task.archive_state).where(Task.id.in_(list(task_ids)))
    with store.session() as session:
        rows = session.execute(query).all()
    return {task_id: statuses.shown_state(status, saved) for task_id, status, saved in rows}
