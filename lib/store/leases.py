"""The tracker's leases: which process follows which task, and when each is due. Work is
claimed in the store, so several server processes can share one database and never
follow the same task at the same time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, selectinload

from lib.store.schema import Task


class Leases:
    """Store methods (lib.store.tasks.Store) for the tracker's leases."""

    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]

    def claim_due(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        busy: Iterable[str] = (),
    ) -> list[Task]:
        """Take the lease on up to `limit` due tasks that nobody follows (`busy`: the ones
        this owner is following right now, which are not due again until it is done)."""
        free = _free_for(owner, now)
        due = (
            select(Task.id)
            .where(
                Task.tracking.is_(True),
                Task.next_check_at <= now,
                free,
                Task.id.not_in(list(busy)),
            )
            .order_by(Task.next_check_at)
            .limit(limit)
        )
        with self.writing() as session:
            ids = list(session.scalars(due))
            if not ids:
                return []
            # The lease condition again in the UPDATE itself: if another process took a
            # task between the SELECT and here, the row no longer matches and is skipped.
            session.execute(
                update(Task)
                .where(Task.id.in_(ids), free)
                .values(lease_owner=owner, lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
        return self._leased_to(owner, ids, lease_until)

    def claim_orphans(
        self, owners: Iterable[str], now: datetime, lease_until: datetime, limit: int
    ) -> list[Task]:
        """Take over up to `limit` tasks whose follower died: leased by another owner (not
        one of `owners`) and the lease ran out. A lease is only held while a task is
        followed, so these were being followed when their server stopped answering."""
        owners = list(owners)
        ran_out = and_(
            Task.tracking.is_(True),
            Task.lease_owner.is_not(None),
            Task.lease_owner.not_in(owners),
            Task.lease_until < now,
        )
        orphans = select(Task.id).where(ran_out).order_by(Task.next_check_at).limit(limit)
        with self.writing() as session:
            ids = list(session.scalars(orphans))
            if not ids:
                return []
            session.execute(
                update(Task)
                .where(Task.id.in_(ids), ran_out)
                .values(lease_owner=owners[0], lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
        return self._leased_to(owners[0], ids, lease_until)

    def _leased_to(self, owner: str, ids: list[str], lease_until: datetime) -> list[Task]:
        """Those of `ids` whose lease `owner` just took (the others went to someone else)."""
        with self.session() as session:
            mine = and_(
                Task.id.in_(ids), Task.lease_owner == owner, Task.lease_until == lease_until
            )
            return list(
                session.scalars(select(Task).where(mine).options(selectinload(Task.images)))
            )

    def renew_leases(self, owner: str, task_ids: Iterable[str], lease_until: datetime) -> None:
        ids = list(task_ids)
        if not ids:
            return
        with self.writing() as session:
            session.execute(
                update(Task)
                .where(Task.id.in_(ids), Task.lease_owner == owner)
                .values(lease_until=lease_until)
            )

    def release(self, task_id: str, owner: str) -> None:
        with self.writing() as session:
            session.execute(
                update(Task)
                .where(Task.id == task_id, Task.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def release_all(self, owners: Iterable[str]) -> int:
        """A server stopping hands its tasks over at once: every lease these owners hold
        is let go (their tasks are due as they were). -> how many."""
        with self.writing() as session:
            result = session.execute(
                update(Task)
                .where(Task.lease_owner.in_(list(owners)))
                .values(lease_owner=None, lease_until=None)
            )
            return result.rowcount

    def release_every_lease(self) -> int:
        """At start, when no other server is running: every lease left is a dead
        server's. -> how many were let go."""
        with self.writing() as session:
            result = session.execute(
                update(Task)
                .where(Task.lease_owner.is_not(None))
                .values(lease_owner=None, lease_until=None)
            )
            return result.rowcount

    def reschedule(self, task_id: str, at: datetime) -> None:
        with self.writing() as session:
            session.execute(update(Task).where(Task.id == task_id).values(next_check_at=at))

    def next_due(
        self, owner: str | None = None, now: datetime | None = None, busy: Iterable[str] = ()
    ) -> datetime | None:
        """When the next task `owner` could take is due (None: nothing is followed). The
        ones it is following right now (`busy`) and the ones another owner holds a lease
        on are left out: they are not its to take, and waking up for them would spin."""
        query = select(Task.next_check_at).where(Task.tracking.is_(True))
        busy = list(busy)
        if busy:
            query = query.where(Task.id.not_in(busy))
        if owner is not None and now is not None:
            query = query.where(_free_for(owner, now))
        with self.session() as session:
            return session.scalar(query.order_by(Task.next_check_at).limit(1))


def _free_for(owner: str, now: datetime) -> ColumnElement[bool]:
    """Tasks `owner` may take: nobody's lease, an expired one (its owner died), or its own."""
    return or_(Task.lease_until.is_(None), Task.lease_until < now, Task.lease_owner == owner)
