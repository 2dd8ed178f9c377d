"""Openings of review links, counted in memory and written together: one write a second
at most, whatever the number of guests. Fifty guests opening a link at once were fifty
write transactions queued behind one another, each also making every page kept in the
store's memo (lib/store/memo.py) be read and drawn again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

log = logging.getLogger("imagine_studio")

WRITE_AFTER = 1.0  # seconds: how long an opening may wait before it is in the store


class Openings:
    def __init__(
        self,
        write: Callable[[Mapping[int, tuple[int, datetime]]], None],
        after: float = WRITE_AFTER,
    ):
        self._write = write  # Store.count_opens
        self._after = after
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[int, datetime]] = {}
        self._timer: threading.Timer | None = None

    def count(self, link_id: int, now: datetime) -> None:
        """One more opening of this link, written within `after` seconds."""
        with self._lock:
            count, last = self._pending.get(link_id, (0, now))
            self._pending[link_id] = (count + 1, max(last, now))
            if self._timer is None:
                self._timer = threading.Timer(self._after, self.write_now)
                self._timer.daemon = True
                self._timer.start()

    def write_now(self) -> None:
        """Everything counted so far, in one transaction (also at shutdown)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()  # when called before it fired; a no-op from the timer itself
        if not pending:
            return
        try:
            self._write(pending)
        except Exception:  # the database is away: said in the log, counts kept for later
            log.exception("review link openings could not be written; trying again")
            with self._lock:
                for link_id, (count, last) in pending.items():
                    more, later = self._pending.get(link_id, (0, last))
                    self._pending[link_id] = (count + more, max(last, later))
            # Not retried here in a loop: the next opening starts a new timer.
