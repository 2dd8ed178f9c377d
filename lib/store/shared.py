"""What the servers sharing one database agree on through it: the recent clicks on Create
(so a second tab that lands on another server does not pay twice) and named facts every
server must share (a fingerprint of the callback secret)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.store.schema import ClusterFact, RecentSubmission

ATTEMPTS = 3  # two servers inserting the same new row at once: the loser reads the winner's


class Shared:
    """Store methods (lib.store.tasks.Store) for what the servers share."""

    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]

    def submission_key(self, digest: str, now: datetime, window: timedelta) -> str:
        """The idempotency key for a click whose person and settings hash to `digest`:
        the key of the same click less than `window` ago (a double click, a reload, a
        second tab, on any server), else a new one."""
        for attempt in range(ATTEMPTS):
            try:
                with self.writing() as session:
                    row = session.get(RecentSubmission, digest, with_for_update=True)
                    if row is None:
                        row = RecentSubmission(digest=digest, idempotency_key=uuid.uuid4().hex)
                        session.add(row)
                    elif row.sent_at < now - window:
                        row.idempotency_key = uuid.uuid4().hex  # long ago: a new video
                    row.sent_at = now
                    # Old clicks are of no use any more: the table stays a few rows long.
                    session.execute(
                        delete(RecentSubmission).where(
                            RecentSubmission.sent_at < now - window,
                            RecentSubmission.digest != digest,
                        )
                    )
                    return row.idempotency_key
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def cluster_fact(self, name: str) -> str | None:
        with self.session() as session:
            row = session.get(ClusterFact, name)
            return row.value if row is not None else None

    def set_cluster_fact(self, name: str, value: str, now: datetime) -> None:
        for attempt in range(ATTEMPTS):
            try:
                with self.writing() as session:
                    row = session.get(ClusterFact, name, with_for_update=True)
                    if row is None:
                        session.add(ClusterFact(name=name, value=value, updated_at=now))
                    else:
                        row.value, row.updated_at = value, now
                    return
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise

    def problem(self) -> str | None:
        """Why the database cannot be used right now (for /api/ready), or None."""
        try:
            with self.session() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # any driver's error: the reason, never the URL
            return f"the database does not answer ({type(exc).__name__})"
        return None
