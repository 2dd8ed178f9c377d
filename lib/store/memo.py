"""Answers of the store's small reads that every page run asks again (who a typed name
is, the campaigns so far, this month's spend, the budgets that apply), kept until this
process writes to the store.

Every write of this process goes through `Store.writing`, which forgets everything once
its transaction is committed, so a page run after a submit or a settle reads the store
again: what this server shows is exact. Another server sharing the database writes
without this process knowing: an answer is therefore kept `ttl` seconds at most, the
longest another server's change can take to show here (the budget check of a submit
never reads from here: it reads the totals inside its own transaction).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

SHARED_TTL = 2.0  # seconds: another server's change shows within this
MAX_ENTRIES = 1024  # a bound on memory: past it, everything is read again


class Memo:
    def __init__(self, ttl: float = SHARED_TTL, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        self._kept: dict[Hashable, tuple[object, float]] = {}

    def written(self) -> None:
        """A write of this process was committed: every answer is read again."""
        with self._lock:
            self._writes += 1
            self._kept.clear()

    def peek(self, key: Hashable) -> tuple[bool, object]:
        """(True, the answer kept for `key`) if there is one still good, else (False,
        None): never reads the store, so an async route can ask without blocking."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[1] < self._ttl:
            return True, kept[0]
        return False, None

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The answer kept for `key`, or `read()`'s (kept unless a write was committed
        while it read: it may be from before that write)."""
        found, kept = self.peek(key)
        if found:
            return kept  # type: ignore[return-value]
        return self.read_again(key, read)

    def read_again(self, key: Hashable, read: Callable[[], T]) -> T:
        """`read()`'s answer, kept in place of any kept for `key` (unless a write was
        committed while it read)."""
        now = self._clock()
        with self._lock:
            writes = self._writes
        answer = read()
        with self._lock:
            if self._writes == writes:
                if len(self._kept) >= MAX_ENTRIES:
                    self._kept.clear()
                self._kept[key] = (answer, now)
        return answer
