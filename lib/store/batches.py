"""Batches in the store (issue 18): every take of one press stored in one transaction with
its batch row, after one budget check of the batch's total (all or none), each take due
at once for the tracker to send (its own idempotency key); and cancelling what was not
sent yet. Store methods (lib.store.tasks.Store), like Reviews."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.domain.access import Role
from lib.domain.budgets import first_crossed
from lib.domain.statuses import TaskStatus
from lib.domain.variations import BatchOverBudget
from lib.store.budgets import BudgetCheck, caps_in, lock_budgets
from lib.store.schema import Batch, Task, TaskEvent
from lib.store.task_rows import FINISHED, NewTask, task_row
from lib.store.team import DONE, account_in, add_audit, name_login


@dataclass(frozen=True)
class NewBatch:
    idempotency_key: str  # the press's: the same press again finds this batch
    title: str
    person: str
    campaign: str
    takes: Sequence[NewTask]  # all of the same person and campaign
    account_id: str | None = None


class Batches:
    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]

    def create_batch(
        self, new: NewBatch, now: datetime, budget: BudgetCheck | None = None
    ) -> tuple[Batch, bool]:
        """Store the batch and all its takes, or nothing. -> (batch, created); the same key
        again returns the first batch, created=False (nothing stored twice). With `budget`,
        the batch's total is checked against the month's caps in the same transaction,
        one submit at a time (raises BatchOverBudget: nothing stored)."""
        found = self.batch_by_key(new.idempotency_key)
        if found is not None:
            return found, False
        total = sum(take.estimate_quota for take in new.takes)
        batch = Batch(
            id=uuid.uuid4().hex,
            idempotency_key=new.idempotency_key,
            title=new.title,
            person=new.person,
            account_id=new.account_id,
            campaign=new.campaign,
            takes=len(new.takes),
            estimate_quota=total,
            created_at=now,
        )
        try:
            with self.writing() as session:
                lock_budgets(session)
                same = select(Batch.id).where(Batch.idempotency_key == batch.idempotency_key)
                if session.scalar(same):
                    raise IntegrityError("same key", None, Exception())  # made meanwhile
                if batch.account_id is None and new.person:
                    login = name_login(new.person)
                    owner = account_in(session, login, new.person, Role.MEMBER, now)
                    batch.account_id = owner.id
                if budget is not None:
                    caps = caps_in(session, batch.account_id, new.campaign, now)
                    crossed = first_crossed(caps, total)
                    if crossed is not None:
                        raise BatchOverBudget(crossed, total, list(budget.admins), len(new.takes))
                session.add(batch)
                for take in new.takes:
                    task = task_row(take, now, due_now=True)
                    task.account_id = batch.account_id
                    task.batch_id = batch.id
                    session.add(task)
                add_audit(
                    session,
                    "batch.create",
                    batch.account_id,
                    new.person,
                    DONE,
                    batch.id,
                    f"{batch.takes} takes, campaign “{batch.campaign}”, estimate {total} quota",
                    now,
                )
        except IntegrityError:  # the same press, stored by a concurrent rerun
            found = self.batch_by_key(new.idempotency_key)
            if found is None:
                raise
            return found, False
        return batch, True

    def batch_by_key(self, key: str) -> Batch | None:
        with self.session() as session:
            return session.scalar(select(Batch).where(Batch.idempotency_key == key))

    def get_batch(self, batch_id: str) -> Batch | None:
        with self.session() as session:
            return session.get(Batch, batch_id)

    def batch_takes(self, batch_id: str) -> list[Task]:
        """The batch's takes, in the order they were made."""
        with self.session() as session:
            return list(
                session.scalars(
                    select(Task).where(Task.batch_id == batch_id).order_by(Task.idempotency_key)
                )
            )

    def batches_of(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        if not batch_ids:
            return {}
        with self.session() as session:
            rows = session.scalars(select(Batch).where(Batch.id.in_(list(batch_ids))))
            return {batch.id: batch for batch in rows}

    def cancel_unsent_takes(self, batch_id: str, now: datetime) -> list[str]:
        """Mark the batch cancelled and end, at no cost, its takes not sent yet and not
        being sent this moment (no lease held): the tracker will never send them. A take
        being sent right now is left alone (it is cancelled once it is in line).
        -> the ids ended here."""
        with self.writing() as session:
            batch = session.get(Batch, batch_id, with_for_update=True)
            if batch is None:
                return []
            batch.cancelled_at = batch.cancelled_at or now
            unsent = session.scalars(
                select(Task)
                .where(
                    Task.batch_id == batch_id,
                    Task.wave_task_id.is_(None),
                    Task.status == TaskStatus.SUBMITTING,
                    Task.tracking.is_(True),
                    or_(Task.lease_until.is_(None), Task.lease_until < now),
                )
                .with_for_update()
            ).all()
            for task in unsent:
                task.status = TaskStatus.CANCELLED
                task.cost_quota = 0
                task.refunded_quota = 0
                task.error_message = "Cancelled with its batch before it was sent."
                task.finished_at = task.updated_at = now
                task.tracking = False
                session.add(
                    TaskEvent(task=task, at=now, status=TaskStatus.CANCELLED, source="studio")
                )
            if unsent:
                session.info[FINISHED] = True  # waiters are told once committed
            return [task.id for task in unsent]
