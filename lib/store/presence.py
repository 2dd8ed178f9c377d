"""Which servers use a database right now, as locks that end with their process (a crash
included): every server holds a shared claim on its database; a server in demo mode
holds it alone. Demo mode cannot share a database: each demo server makes its practice
videos itself, so another server would ask its own practice service about them and
find nothing (issue 15's `task_not_found`).

PostgreSQL: a session advisory lock on a connection kept for the server's life.
SQLite: a lock on a file beside the database (flock), released by the kernel when the
process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

PRESENCE_KEY = 0x49535052455300  # "ISPRES": any fixed number all servers agree on


class DatabaseShared(Exception):
    """The claim was refused: another server holds the database in a way that rules
    this one out."""


class DatabaseClaim:
    """Held while the server runs; `release` at the end (a dead process releases it)."""

    def __init__(self, engine: Engine, exclusive: bool):
        self.exclusive = exclusive
        self._connection = None
        self._file: int | None = None
        url = make_url(engine.url)
        if url.get_backend_name() == "sqlite":
            self._claim_file(Path(url.database or ""), exclusive)
        else:
            self._claim_advisory(engine, exclusive)

    def _claim_file(self, database: Path, exclusive: bool) -> None:
        if not database.name or database.name == ":memory:":
            return
        handle = os.open(f"{database}.servers", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise DatabaseShared() from None
        self._file = handle

    def _claim_advisory(self, engine: Engine, exclusive: bool) -> None:
        # A connection of its own, outside the pool, for as long as the server runs.
        connection = engine.connect()
        function = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
        got = connection.execute(text(f"SELECT {function}(:key)"), {"key": PRESENCE_KEY})
        if not got.scalar():
            connection.invalidate()
            connection.close()
            raise DatabaseShared()
        connection.commit()
        self._connection = connection

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                # Unlocked first: the server ends a closed session's locks only once its
                # backend process has exited, a moment after the client hangs up.
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
            with contextlib.suppress(Exception):
                # Closed for real, not back to the pool: nothing of the session is reused.
                self._connection.invalidate()
                self._connection.close()
            self._connection = None
        if self._file is not None:
            os.close(self._file)
            self._file = None


def alone_on(engine: Engine) -> bool:
    """Whether no other server is using the database right now (an exclusive claim would
    be granted; it is let go at once). Then every lease in it belongs to a server that
    has died, and a restarted server may take its tasks back without waiting."""
    try:
        DatabaseClaim(engine, exclusive=True).release()
    except DatabaseShared:
        return False
    return True
